from django.db import migrations

FAULT = (
    "{signature}尊敬的客户：您所在的{area}因{type}导致宽带业务中断，我们正在全力抢修，{eta}。"
    "给您带来不便，敬请谅解。如有疑问请致电{hotline}。"
)
RECOVERY = (
    "{signature}尊敬的客户：您所在的{area}宽带故障已于{recovered}修复，业务已恢复正常。"
    "如仍无法上网，请重启光猫或致电{hotline}。感谢您的耐心等待。"
)


def add_templates(apps, schema_editor):
    template = apps.get_model("notify", "SmsTemplate")
    for kind, text in (("fault", FAULT), ("recovery", RECOVERY)):
        template.objects.get_or_create(kind=kind, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]
    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
