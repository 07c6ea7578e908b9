"""Password rules: a password that contains the user name is refused, whatever the case."""

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["zhangsan2024!", "ZhangSan#2024x", "my-ZHANGSAN-pass"])
def test_a_password_containing_the_user_name_is_refused_in_any_case(password):
    user = UserFactory(username="zhangsan")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert "password_contains_username" in [e.code for e in refused.value.error_list]


@pytest.mark.django_db
def test_the_admin_set_password_form_refuses_the_user_name_inside_the_password():
    user = UserFactory(username="wangwu")
    form = SetPasswordForm(user, {"new_password1": "Wangwu@2024", "new_password2": "Wangwu@2024"})
    assert not form.is_valid()
    assert "new_password2" in form.errors


@pytest.mark.django_db
def test_a_password_without_the_user_name_is_accepted():
    user = UserFactory(username="zhangsan")
    validate_password("lantern-orchid-57", user)


@pytest.mark.django_db
def test_user_names_shorter_than_three_characters_are_not_searched_for():
    # "li" is inside too many good passwords to refuse them all.
    user = UserFactory(username="li")
    validate_password("lantern-olives-57", user)


def test_the_rule_is_explained_without_a_user():
    validate_password("lantern-orchid-57")  # no user (e.g. createsuperuser before it exists)
    with translation.override("en"):
        assert any("user name" in text for text in password_validators_help_texts())
