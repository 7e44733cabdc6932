"""The pure part of API keys: tokens, hashes, roles, a patrol key's scope."""

from __future__ import annotations

import pytest

from geo.errors import Forbidden, InvalidInput
from geo.keys import Principal, Role, generate_token, hash_secret, parse_token, secret_matches


def test_a_token_parses_back_and_only_its_hash_is_kept() -> None:
    made = generate_token()
    assert made.token.startswith(f"geo_{made.key_id}_")
    parsed = parse_token(made.token)
    assert parsed is not None
    key_id, secret = parsed
    assert key_id == made.key_id and len(secret) == 43
    assert made.secret_sha256 == hash_secret(secret) and secret not in made.secret_sha256
    assert secret_matches(secret, made.secret_sha256)
    assert not secret_matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), made.secret_sha256)
    assert generate_token().token != made.token


@pytest.mark.parametrize(
    "token",
    ["", "geo", "geo_", "abc_0123456789ab_" + "A" * 43, "geo_XYZ_" + "A" * 43, "geo_0123456789ab_"],
)
def test_malformed_tokens_do_not_parse(token: str) -> None:
    assert parse_token(token) is None


def test_roles_parse_and_name_the_choices() -> None:
    assert Role.parse(" Leader ") is Role.LEADER
    with pytest.raises(InvalidInput, match="patrol, planner, leader, admin"):
        Role.parse("chief")


def test_a_patrol_key_acts_for_its_own_squad_and_township() -> None:
    patrol = Principal("k", "phone", Role.PATROL, township="433122207", squad="squad-01")
    patrol.check_scope("433122207", "squad-01")
    with pytest.raises(Forbidden, match="belongs to squad-01"):
        patrol.check_scope("433122207", "squad-02")
    with pytest.raises(Forbidden):
        patrol.check_scope("433122999", "squad-01")
    Principal("a", "admin", Role.ADMIN).check_scope("433122999", "squad-02")
    patrol.check_township("433122207")
    with pytest.raises(Forbidden, match="township 433122207"):
        patrol.check_township("433122999")
    Principal("p", "planner", Role.PLANNER).check_township("433122999")


def test_a_township_key_acts_for_its_township_only() -> None:
    leader = Principal("a" * 12, "east leader", Role.LEADER, township="433122901")
    assert not leader.county
    leader.check_township("433122901")
    leader.check_scope("433122901", "squad-05")  # any squad of its township
    with pytest.raises(Forbidden, match="leader key belongs to township 433122901"):
        leader.check_township("433122902")
    with pytest.raises(Forbidden):
        leader.check_scope("433122902", "squad-01")
    with pytest.raises(Forbidden, match="covers every township"):
        leader.check_county("the county view")


def test_a_county_key_acts_for_every_township() -> None:
    for role in (Role.LEADER, Role.PLANNER, Role.ADMIN):
        key = Principal("b" * 12, "county", role)
        assert key.county
        key.check_township("433122901")
        key.check_scope("433122902", "squad-03")
        key.check_county("the county view")
    patrol = Principal("c" * 12, "phone", Role.PATROL, township="433122901", squad="squad-01")
    with pytest.raises(Forbidden):
        patrol.check_county("the county report")
