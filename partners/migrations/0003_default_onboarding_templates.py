"""Every vendor starts with an onboarding checklist template per partner type (editable later)."""

from django.db import migrations

COMMON = [
    ("NDA・パートナー契約の締結", 7, ""),
    ("キックオフミーティングの実施", 14, ""),
    ("パートナー管理者のポータル初回ログイン", 7, "portal_login"),
    ("初回トレーニングの受講", 30, "training_completed"),
    ("認定資格の取得", 60, "certified"),
]
BY_TYPE = {
    "referral": ("紹介パートナー オンボーディング", [("初回リードの紹介", 45, "lead_registered")]),
    "agency": ("取次パートナー オンボーディング", [("初回リードの登録", 45, "lead_registered"), ("初回案件の登録", 60, "deal_registered")]),
    "resale": ("再販パートナー オンボーディング", [("営業担当者向け勉強会の開催", 30, ""), ("初回案件の登録", 45, "deal_registered"), ("初回受注", 120, "deal_won")]),
    "distributor": ("一次代理店 オンボーディング", [("二次店リクルーティング計画の合意", 30, ""), ("初回案件の登録", 45, "deal_registered"), ("初回受注", 120, "deal_won")]),
    "solution": ("ソリューションパートナー オンボーディング", [("導入支援メニューの整備", 45, ""), ("初回案件の登録", 60, "deal_registered")]),
    "oem": ("OEMパートナー オンボーディング", [("OEM仕様・ブランディングの合意", 30, ""), ("初回案件の登録", 90, "deal_registered")]),
    "alliance": ("アライアンス オンボーディング", [("共同マーケティング計画の合意", 30, ""), ("初回リードの登録", 60, "lead_registered")]),
}


def create_templates(apps, schema_editor):
    Template = apps.get_model("partners", "OnboardingTemplate")
    Item = apps.get_model("partners", "OnboardingTemplateItem")
    for partner_type, (name, extra) in BY_TYPE.items():
        template, created = Template.objects.get_or_create(partner_type=partner_type, defaults={"name": name})
        if created:
            Item.objects.bulk_create(
                Item(template=template, title=title, due_days=days, auto_event=event, position=position)
                for position, (title, days, event) in enumerate(COMMON + extra)
            )


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_activity_agreement_businessplan_checklistitem_and_more")]
    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
