"""Form labels end with the language's colon: "类型：" in Chinese, not "类型: " (the batch-cause
and survey-upload pages of the walk-through); one translation serves every form, ours and
Django's own."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.test import Client
from django.urls import reverse
from django.utils import translation


class Sample(forms.Form):
    title = forms.CharField(label="标题")


def test_a_form_label_ends_with_a_chinese_colon_in_chinese_and_an_ascii_one_in_english():
    with translation.override("zh-hans"):
        assert Sample()["title"].label_tag() == '<label for="id_title">标题：</label>'
        assert AuthenticationForm().label_suffix == "："
    with translation.override("en"):
        assert Sample().label_suffix == ":"


def test_the_batch_cause_page_labels_its_fields_with_chinese_colons(db, quality_manager):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(quality_manager)
    page = client.get(reverse("complaints:causes")).content.decode()
    assert 'id="cause-form"' in page
    assert "标题：</label>" in page and "标题: " not in page and ":</label>" not in page
