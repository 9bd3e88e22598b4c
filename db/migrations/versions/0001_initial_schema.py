"""Initial schema: organisation, challenges, results, pulse, factors, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:11:25.581897
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "energy", "trees", "volunteering", name="kind", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("points_per_unit", sa.Float(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("daily_cap", sa.Float(), nullable=True),
        sa.Column("team_target", sa.Float(), nullable=True),
        sa.Column("auto_approve_up_to", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "auto_approve_up_to IS NULL OR auto_approve_up_to > 0", name=op.f("ck_challenges_auto_approve_positive")
        ),
        sa.CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name=op.f("ck_challenges_cap_positive")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_challenges_window")),
        sa.CheckConstraint("points_per_unit > 0", name=op.f("ck_challenges_points_positive")),
        sa.CheckConstraint("team_target IS NULL OR team_target > 0", name=op.f("ck_challenges_target_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
        sa.UniqueConstraint("slug", name=op.f("uq_challenges_slug")),
    )
    op.create_table(
        "impact_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "energy", "trees", "volunteering", name="kind", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("in_use", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("value > 0", name=op.f("ck_impact_factors_value_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factors")),
    )
    with op.batch_alter_table("impact_factors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impact_factors_in_use",
            ["kind"],
            unique=True,
            sqlite_where=sa.text("in_use"),
            postgresql_where=sa.text("in_use"),
        )

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_teams_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_site_id"), ["site_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent", "lead", "manager", "admin", name="role", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column(
            "work_mode",
            sa.Enum("home", "centre", name="work_mode", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_people_site_id_sites")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_people_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_team_active", ["team_id", "active"], unique=False)

    op.create_table(
        "pulse_weekly",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Integer(), nullable=False),
        sa.Column("enps_answers", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_pulse_weekly_team_id_teams")),
        sa.PrimaryKeyConstraint("team_id", "week_start", name=op.f("pk_pulse_weekly")),
    )
    with op.batch_alter_table("pulse_weekly", schema=None) as batch_op:
        batch_op.create_index("ix_pulse_weekly_week_team", ["week_start", "team_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"], name=op.f("fk_audit_log_actor_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "pulse_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("enps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("enps IS NULL OR enps BETWEEN 0 AND 10", name=op.f("ck_pulse_responses_enps_range")),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_pulse_responses_score_range")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_pulse_responses_person_id_people")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_pulse_responses_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_responses")),
        sa.UniqueConstraint("person_id", "week_start", name=op.f("uq_pulse_responses_person_id_week_start")),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "voided",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("organisation", sa.String(length=100), nullable=True),
        sa.Column("activity_type", sa.String(length=40), nullable=True),
        sa.Column("logged_by_id", sa.Integer(), nullable=True),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_results_quantity_positive")),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], name=op.f("fk_results_challenge_id_challenges")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["people.id"], name=op.f("fk_results_decided_by_id_people")),
        sa.ForeignKeyConstraint(["logged_by_id"], ["people.id"], name=op.f("fk_results_logged_by_id_people")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_results_person_id_people")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_results_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.UniqueConstraint("source", "ref", name=op.f("uq_results_source_ref")),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_ok_challenge_day",
            ["challenge_id", "occurred_on", "person_id", "team_id", "quantity"],
            unique=False,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )
        batch_op.create_index(
            "ix_results_ok_day",
            ["occurred_on", "challenge_id", "person_id", "team_id", "quantity"],
            unique=False,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )
        batch_op.create_index(
            "ix_results_pending_team",
            ["team_id", "occurred_on"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_results_person_day", ["person_id", "occurred_on"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        # Index-only scans of the leaderboard indexes need a fresh visibility map;
        # by default autovacuum waits for inserts worth 20 % of the table.
        op.execute(
            "ALTER TABLE results SET (autovacuum_vacuum_insert_scale_factor = 0.01,"
            " autovacuum_analyze_scale_factor = 0.02)"
        )

    op.create_table(
        "team_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_team_memberships_valid_range")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_team_memberships_person_id_people")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_memberships_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_memberships")),
    )
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_team_memberships_person_from", ["person_id", "valid_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_memberships_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_memberships_team_id"))
        batch_op.drop_index("ix_team_memberships_person_from")

    op.drop_table("team_memberships")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index("ix_results_person_day")
        batch_op.drop_index(
            "ix_results_pending_team",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(
            "ix_results_ok_day",
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )
        batch_op.drop_index(
            "ix_results_ok_challenge_day",
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )

    op.drop_table("results")
    op.drop_table("pulse_responses")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity")
        batch_op.drop_index("ix_audit_log_at")

    op.drop_table("audit_log")
    with op.batch_alter_table("pulse_weekly", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_weekly_week_team")

    op.drop_table("pulse_weekly")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_team_active")

    op.drop_table("people")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_site_id"))

    op.drop_table("teams")
    op.drop_table("sites")
    op.drop_table("settings")
    with op.batch_alter_table("impact_factors", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_impact_factors_in_use", sqlite_where=sa.text("in_use"), postgresql_where=sa.text("in_use")
        )

    op.drop_table("impact_factors")
    op.drop_table("challenges")
