"""A small OpenID Connect provider (django-oauth-toolkit) that the SSO tests start as a
separate process on a local port (tests/oidc_support.py): a real provider, not a mock."""
