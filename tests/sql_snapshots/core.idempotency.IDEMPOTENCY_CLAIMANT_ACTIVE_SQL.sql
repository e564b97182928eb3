(SELECT u.is_active FROM "accounts_user" u WHERE u.id = %(claim_user)s)
