"""`field__among=[…]`: membership in a long list of ids or codes, bound as ONE parameter.

`field__in=[…]` binds each value separately: Django prepares every one and the driver
splits a statement with thousands of placeholders, which costs more than the query when an
alarm storm asks about 2,000 ONUs at a time. `among` sends the list whole: an array on
PostgreSQL (`= ANY(%s)`), a JSON list on SQLite (`IN (SELECT value FROM json_each(%s))`).
For plain values only (integers, strings); an empty list matches nothing.
"""

from __future__ import annotations

import json

from django.db.models import Field, ForeignObject, Lookup


class Among(Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        prep = self.lhs.output_field.get_prep_value
        values = [prep(v) for v in value]
        if connection.vendor == "postgresql":
            return "%s", [values]
        return "%s", [json.dumps(values, ensure_ascii=False)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.get_db_prep_lookup(self.rhs, connection)
        params = (*lhs_params, *rhs_params)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY({rhs})", params
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", params


Field.register_lookup(Among)
ForeignObject.register_lookup(Among)  # foreign keys keep their own lookups: ids of the rows
