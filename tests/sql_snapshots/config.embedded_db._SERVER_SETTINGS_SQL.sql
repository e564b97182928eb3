ALTER SYSTEM SET "fsync" = 'off';

ALTER SYSTEM SET "synchronous_commit" = 'off';

ALTER SYSTEM SET "full_page_writes" = 'off'
