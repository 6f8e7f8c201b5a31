"""factory_boy factories for the portal's records."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from agencies.models import Agency, User
from agencies.roles import group_name, role_group


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TEST{n}")
    name = factory.LazyAttribute(lambda o: f"Sở Thử nghiệm {o.code}")
    short_name = factory.LazyAttribute(lambda o: f"Thử nghiệm {o.code}")
    abbreviation = factory.LazyAttribute(lambda o: o.code)
    kind = Agency.Kind.DEPARTMENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="vi_VN")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.vn")
    position = "Chuyên viên"
    agency = factory.SubFactory(AgencyFactory)
    password = factory.PostGenerationMethodCall("set_password", "Mat-khau-thu-nghiem-2024")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                self.groups.add(role_group(role))
        self.save()


def agency(code: str) -> Agency:
    """One of the real Phú Yên bodies loaded by the data migration."""
    return Agency.objects.get(code=code)


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


__all__ = ["AgencyFactory", "UserFactory", "agency", "in_days", "group_name"]
