answered AS (
    UPDATE "core_idempotencyrecord" SET state = 'done', response_status = %(answer_status)s,
        response_body = %(answer_body)s, updated_at = %(answer_now)s
    WHERE id = %(answer_record)s
)
