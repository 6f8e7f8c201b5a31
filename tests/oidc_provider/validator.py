"""The test provider's claims: `preferred_username`, `name`, `email`, the body and roles
(`cchc_agency`, `cchc_roles`) and how the user signed in (`amr`, `acr`), from people.py."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider.people import PEOPLE

CUSTOM = ("cchc_agency", "cchc_roles", "amr", "acr")


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "cchc_agency": "profile",
        "cchc_roles": "profile",
        "amr": "openid",
        "acr": "openid",
    }

    def get_additional_claims(self, request):
        username = request.user.get_username()
        person = PEOPLE.get(username, {})
        claims = {"preferred_username": username, "name": person.get("name", "")}
        if "email" in person:
            claims["email"] = person["email"]
        claims.update({key: person[key] for key in CUSTOM if key in person})
        return claims
