"""What accounts declares to the registries (core.registrations)."""

# What an anonymised account loses (privacy.erasure, docs/privacy.md): the codes and
# wrong tries of its phone, the consents' history stays (the account is anonymous).
PERSONAL_DATA = {
    "accounts.OtpCode": ("phone", None),
    "accounts.OtpGuess": ("phone", None),
}
