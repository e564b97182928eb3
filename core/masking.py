"""How personal data is shown in public: enough to recognise, not to identify."""


def mask_phone(phone: str) -> str:
    """+8613800138000 -> +86138****8000 (country code, 3 digits, 4 stars, last 4)."""
    if not phone:
        return ""
    if phone.startswith("+86") and len(phone) == 14:
        return f"{phone[:6]}****{phone[-4:]}"
    keep = max(2, (len(phone) - 4) // 2)
    return f"{phone[:keep]}{'*' * (len(phone) - keep - 4)}{phone[-4:]}"


def mask_name(name: str) -> str:
    """王小明 -> 王**, Alice Wong -> A**** W***: the first character of each word stays."""
    if not name:
        return ""
    words = name.split()
    if len(words) == 1:
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(word[0] + "*" * (len(word) - 1) for word in words)


def mask_id_number(id_number: str) -> str:
    """A mainland ID number: the first 3 and the last 2 characters stay."""
    if len(id_number) <= 5:
        return "*" * len(id_number)
    return f"{id_number[:3]}{'*' * (len(id_number) - 5)}{id_number[-2:]}"
