"""The exchange files' columns, in the order `sqm generate` writes them (docs/formats.md).

Other systems export to these names, so they are fixed; importers accept extra columns.
"""

CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "mobile",
    "id_number",
    "customer_type",
    "tier",
    "city",
    "district",
    "marketing_consent",
    "service_sms_opt_out",
    "address",
)
CUSTOMER_OPTIONAL = ("address",)
ACCOUNT_COLUMNS = (
    "account_id",
    "customer_id",
    "service",
    "status",
    "address",
    "bandwidth_mbps",
    "opened_at",
    "onu_id",
)
TOPOLOGY_COLUMNS = (
    "olt_id",
    "olt_name",
    "olt_ip",
    "vendor",
    "city",
    "district",
    "frame",
    "slot",
    "port",
    "onu_id",
)
