"""Impact factors that apply from a date and to a region; sites carry their region; factors have names.

Putting a factor "in use" used to convert every result ever logged, in every
site, with it: a UK grid factor rewrote Manila's past CO2e too. Now
``impact_factor_periods`` says which factor converts a kind from which month
on, for the sites of one region or (region "") as the default for every other
site, and ``sites.region`` says which region a site is in. Each factor gets a
``name`` for the report to cite.

Existing data keeps its figures: every site starts without a region, and the
factor that was in use for each kind becomes that kind's default from the
earliest date (1900-01-01), so every past report is what it was.
``impact_factors.in_use`` is retired; the periods hold what it meant.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 02:40:00.000000
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BEGINNING = date(1900, 1, 1)
# The names of the factors `init` loads (engagement.impact.DEFAULT_FACTORS), by kind, region and year.
DEFAULT_NAMES = {
    ("energy", "World", 2024): "IEA world average grid 2024",
    ("energy", "United States", 2023): "US EIA average grid 2023",
    ("energy", "United Kingdom", 2025): "UK DESNZ grid 2025",
    ("trees", "United States", 2024): "US EPA urban tree seedling",
    ("trees", "Latin America", 2016): "Plant-for-the-Planet tree",
    ("volunteering", "United States", 2022): "Independent Sector value of volunteer time 2022",
    ("volunteering", "United Kingdom", 2017): "UK ONS volunteering replacement cost 2017",
}
KIND = sa.Enum("energy", "trees", "volunteering", name="kind", native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    connection = op.get_bind()
    factors = sa.table(
        "impact_factors",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("region", sa.String),
        sa.column("year", sa.Integer),
        sa.column("in_use", sa.Boolean),
        sa.column("name", sa.String),
    )
    rows = connection.execute(
        sa.select(factors.c.id, factors.c.kind, factors.c.region, factors.c.year, factors.c.in_use)
    ).all()
    op.add_column("sites", sa.Column("region", sa.String(length=60), nullable=True))
    op.add_column("impact_factors", sa.Column("name", sa.String(length=100), server_default="", nullable=False))
    for factor_id, kind, region, year, _ in rows:
        name = DEFAULT_NAMES.get((kind, region, year), f"{region} {year}")[:100]
        connection.execute(sa.update(factors).where(factors.c.id == factor_id).values(name=name))
    op.drop_index(
        "ix_impact_factors_in_use",
        table_name="impact_factors",
        sqlite_where=sa.text("in_use"),
        postgresql_where=sa.text("in_use"),
    )
    # ALTER TABLE ... DROP COLUMN, natively on SQLite too (3.35+): a batch copy would rewrite the
    # table's CREATE statement with its CHECK constraints in set order, which differs from run to
    # run, and restore accepts only a schema exactly as a fresh migration writes it.
    op.drop_column("impact_factors", "in_use")
    periods = op.create_table(
        "impact_factor_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("factor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_id"], ["impact_factors.id"], name=op.f("fk_impact_factor_periods_factor_id_impact_factors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factor_periods")),
        sa.UniqueConstraint(
            "kind", "region", "valid_from", name=op.f("uq_impact_factor_periods_kind_region_valid_from")
        ),
    )
    defaults = [
        {"kind": kind, "region": "", "valid_from": BEGINNING, "factor_id": factor_id}
        for factor_id, kind, _, _, in_use in rows
        if in_use
    ]
    if defaults:
        op.bulk_insert(periods, defaults)


def downgrade() -> None:
    connection = op.get_bind()
    periods = sa.table(
        "impact_factor_periods",
        sa.column("kind", sa.String),
        sa.column("region", sa.String),
        sa.column("valid_from", sa.Date),
        sa.column("factor_id", sa.Integer),
    )
    # Each kind's latest default becomes the one factor in use, as before.
    latest: dict[str, int] = {}
    for kind, factor_id in connection.execute(
        sa.select(periods.c.kind, periods.c.factor_id).where(periods.c.region == "").order_by(periods.c.valid_from)
    ):
        latest[kind] = factor_id
    op.drop_table("impact_factor_periods")
    with op.batch_alter_table("impact_factors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_use", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_column("name")
    factors = sa.table("impact_factors", sa.column("id", sa.Integer), sa.column("in_use", sa.Boolean))
    if latest:
        connection.execute(sa.update(factors).where(factors.c.id.in_(list(latest.values()))).values(in_use=True))
    with op.batch_alter_table("impact_factors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_factors_in_use",
            ["kind"],
            unique=True,
            sqlite_where=sa.text("in_use"),
            postgresql_where=sa.text("in_use"),
        )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("region")
