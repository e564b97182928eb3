"""A resident whose account the desk's ID check makes is named as on the card."""

from desk import services
from tests.conftest import next_phone

from .conftest import id_number


def test_the_id_checked_resident_takes_the_name_on_the_card(agent):
    session = services.desk_session_start(agent=agent, phone=next_phone(), address="10.7.0.9")
    session = services.desk_session_confirm_id(
        session_id=session.pk, id_number=id_number(), name="  王桂兰 ", id_consent=True
    )
    assert session.resident.display_name == "王桂兰"
    assert session.resident.phone_verified_at is None
