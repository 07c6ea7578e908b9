from django.conf import settings


def test_it_uses_a_private_home_for_tests():
    assert "sqm-test-home-" in str(settings.SQM_HOME)
