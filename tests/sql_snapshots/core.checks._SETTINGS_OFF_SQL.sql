SELECT name FROM pg_settings WHERE name = ANY(%s) AND setting = 'off' ORDER BY name
