from django.db import migrations

# The alarm types the network management system sends most, with the words customers hear.
TYPES = (
    (
        "LOS",
        "光路中断",
        "您好，经查询您所在区域的光缆线路出现中断（{area}，{started}起），我们已安排抢修，"
        "{eta}。恢复后会短信通知您，无需重复报障。给您带来不便，非常抱歉。",
    ),
    (
        "power-off",
        "设备断电",
        "您好，您所在区域的网络设备因供电中断暂停服务（{area}，{started}起），供电恢复后业务会"
        "自动恢复，{eta}。恢复后会短信通知您，请勿重复报障。给您带来不便，非常抱歉。",
    ),
    (
        "link-down",
        "传输链路中断",
        "您好，您所在区域的上联传输链路出现故障（{area}，{started}起），我们正在全力处理，"
        "{eta}。恢复后会短信通知您。给您带来不便，非常抱歉。",
    ),
    (
        "board-fault",
        "设备板卡故障",
        "您好，您所在区域的网络设备板卡故障（{area}，{started}起），维护人员正在更换，{eta}。"
        "恢复后会短信通知您。给您带来不便，非常抱歉。",
    ),
    (
        "high-temperature",
        "机房设备高温",
        "您好，您所在区域的机房设备因温度过高暂停服务（{area}，{started}起），维护人员正在处理，"
        "{eta}。恢复后会短信通知您。给您带来不便，非常抱歉。",
    ),
)


def add_types(apps, schema_editor):
    fault_type = apps.get_model("network", "FaultType")
    for code, name, script in TYPES:
        fault_type.objects.get_or_create(code=code, defaults={"name": name, "script": script})


class Migration(migrations.Migration):
    dependencies = [("network", "0003_fault_types")]
    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
