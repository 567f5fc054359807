"""Every vendor starts with one programme for all partner types: Bronze, Silver, Gold, Platinum."""

from django.db import migrations

TIERS = [
    # code, name, rank, margin, capacity, lead priority, MDF, gated, roadmap, options [(metric, threshold, step)]
    ("bronze", "ブロンズ", 1, 10, 5, 0, 0, False, False, []),
    ("silver", "シルバー", 2, 15, 15, 10, 300_000, True, False, [
        [("won_revenue", 3_000_000, 0), ("certified_reps", 1, 0)],
        [("total_points", 300, 0)],
    ]),
    ("gold", "ゴールド", 3, 20, 30, 20, 1_000_000, True, True, [
        [("won_revenue", 10_000_000, 1_000_000), ("certified_reps", 2, 0), ("registered_deals", 10, 0)],
        [("total_points", 1_000, 0), ("certified_reps", 2, 0)],
    ]),
    ("platinum", "プラチナ", 4, 25, None, 30, 3_000_000, True, True, [
        [("won_revenue", 30_000_000, 5_000_000), ("certified_reps", 3, 0), ("active_contacts", 3, 0)],
    ]),
]
ALL_TYPES = ["referral", "agency", "resale", "distributor", "solution", "oem", "alliance"]


def create(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    Tier = apps.get_model("programs", "Tier")
    Requirement = apps.get_model("programs", "Requirement")
    if Program.objects.exists():
        return
    program = Program.objects.create(name="パートナープログラム", partner_types=ALL_TYPES,
                                     description="実績と行動（認定・案件登録・活動）で決まる4段階のランク制度")
    for code, name, rank, margin, capacity, lead, mdf, gated, roadmap, options in TIERS:
        tier = Tier.objects.create(program=program, code=code, name=name, rank=rank, margin_rate=margin,
                                   deal_capacity=capacity, lead_priority=lead, mdf_allocation=mdf,
                                   gated_content=gated, early_roadmap=roadmap)
        for option, rules in enumerate(options, start=1):
            for metric, threshold, step in rules:
                Requirement.objects.create(tier=tier, option=option, metric=metric, threshold=threshold,
                                           annual_step=step, base_fiscal_year=2026)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
