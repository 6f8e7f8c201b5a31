"""Who the test provider knows, with the claims it asserts, and the portal's registration.

Plain data: the provider (tests/oidc_provider/serve.py) creates its users and the portal's
client from it; the tests (tests/test_sso_oidc.py) sign in with it."""

from __future__ import annotations

import os

CLIENT_ID = "cong-cchc-thu-nghiem"
CLIENT_SECRET = "bi-mat-cua-cong-cchc-chi-dung-trong-kiem-thu-0123456789"
PASSWORD = "Mat-khau-nha-cung-cap-2024"
# The portal as the Django test client reaches it (another address to try it by hand).
PORTAL = os.environ.get("OIDC_TEST_PORTAL", "http://testserver")
REDIRECT_URI = f"{PORTAL}/sso/oidc/callback/"
POST_LOGOUT_REDIRECT_URI = f"{PORTAL}/accounts/login/"
# An `acr` the tests configure as "a second factor was checked" (OIDC_MFA_ACR).
STRONG_ACR = "urn:cchc:loa:2"

# username → claims (besides `sub` and `preferred_username`, which the provider adds).
PEOPLE: dict[str, dict] = {
    # A focal officer of Sở Tài chính, password only.
    "oidc_stc": {
        "name": "Phạm Văn Tài",
        "email": "oidc_stc@phuyen.gov.vn",
        "cchc_agency": "STC",
        "cchc_roles": ["focal_officer"],
        "amr": ["pwd"],
    },
    # A Nội vụ officer who passed the provider's one-time code.
    "oidc_mfa": {
        "name": "Trần Thị Mai",
        "email": "oidc_mfa@phuyen.gov.vn",
        "cchc_agency": "SNV",
        "cchc_roles": ["noivu_officer"],
        "amr": ["pwd", "otp"],
    },
    # The same role, password only.
    "oidc_pwd": {
        "name": "Lê Văn Bình",
        "email": "oidc_pwd@phuyen.gov.vn",
        "cchc_agency": "SNV",
        "cchc_roles": ["noivu_officer"],
        "amr": ["pwd"],
    },
    # Password only, but at an assurance level the province may count as two factors.
    "oidc_acr": {
        "name": "Võ Thị Hoa",
        "cchc_agency": "SNV",
        "cchc_roles": ["noivu_officer"],
        "amr": ["pwd"],
        "acr": STRONG_ACR,
    },
    # Unknown to the portal until OIDC_CREATE_USERS: Sở Y tế's focal officer.
    "oidc_new": {
        "name": "Đặng Minh Khoa",
        "email": "oidc_new@phuyen.gov.vn",
        "cchc_agency": "SYT",
        "cchc_roles": ["focal_officer"],
        "amr": ["pwd"],
    },
    # A body the portal does not have.
    "oidc_nobody": {
        "name": "Ngô Văn Lạ",
        "cchc_agency": "KHONG-CO",
        "cchc_roles": ["focal_officer"],
        "amr": ["pwd"],
    },
    # The provider's own role names (OIDC_ROLE_MAP translates them).
    "oidc_mapped": {
        "name": "Huỳnh Thị Lan",
        "cchc_agency": "STP",
        "cchc_roles": ["CB_DAU_MOI", "NHAN_VIEN_KHAC"],
        "amr": ["pwd"],
    },
}
