"""The district's time zone: days, months and caps are Asia/Shanghai days and months
(settings.TIME_ZONE and CELERY_TIMEZONE name the same zone)."""

from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
