noticed AS (
    INSERT INTO "notifications_notification" ("user_id", "kind", "event_key", "params", "link", "created_at", "read_at", "sms_status", "sms_not_before", "sms_queued_at", "sms_attempts", "sms_claimed_at", "sms_sent_at", "sms_error", "sms_provider", "sms_message_id", "sms_provider_code", "sms_receipt_at", "sms_requeued_at")
    SELECT u.id, %(notice_1)s, %(notice_2)s, %(notice_3)s, %(notice_4)s, %(notice_5)s, %(notice_6)s, %(notice_7)s, %(notice_8)s, %(notice_9)s, %(notice_10)s, %(notice_11)s, %(notice_12)s, %(notice_13)s, %(notice_14)s, %(notice_15)s, %(notice_16)s, %(notice_17)s, %(notice_18)s
    FROM (SELECT "user_id" FROM "points_merchant_users" WHERE "merchant_id" = %(notice_merchant)s) AS u (id)
    ON CONFLICT ("user_id", "event_key") DO NOTHING
)
