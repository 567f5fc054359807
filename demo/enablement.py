"""Demo enablement: courses and quizzes, certified and uncertified reps, a busy content library, past and
coming study sessions, the FAQ and questions in every state, announcements and the roadmap.

Deterministic and idempotent: nothing happens when the vendor already has courses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape, linebreaks

from deals import services as deal_services
from deals.models import DealRegistration, Product
from enablement import services
from enablement.audience import Viewer, sees
from enablement.certificates import FONT
from enablement.models import (
    AnnouncementRead,
    Certification,
    CertificationAward,
    Choice,
    ContentAccess,
    ContentItem,
    ContentVersion,
    Course,
    CourseCompletion,
    FaqEntry,
    LearningPath,
    Module,
    ModuleProgress,
    PartnerQuestion,
    PathCourse,
    Question,
    Quiz,
    QuizAttempt,
    SessionSeat,
)
from enablement.services.learning import add_months
from enablement.services.questions import partner_managers
from partners.models import ContactSignal, SignalKind
from partners.services import signal_record
from prm.accounts.models import User

SAKURA_ADMIN, SAKURA_REP, SAKURA_REP_2 = ("tanaka@sakura-systems.example", "yamada@sakura-systems.example",
                                          "ito@sakura-systems.example")
HOKUTO_ADMIN, HOKUTO_REP = "kobayashi@hokuto-is.example", "watanabe@hokuto-is.example"
NEXTLINK_ADMIN, TOWA_ADMIN = "nakamura@nextlink.example", "kato@towa-sol.example"
SELLERS = ["resale", "distributor", "solution", "agency", "oem"]
INTRODUCERS = ["referral", "agency", "alliance"]

# --------------------------------------------------------------------------- generated PDFs


def pdf_document(title: str, subtitle: str, sections: Sequence[tuple[str, str]], footer: str = "") -> bytes:
    """A small A4 PDF in Japanese (WeasyPrint with the bundled IPAexGothic), standing in for real material."""
    from weasyprint import HTML

    body = "".join(f"<h2>{escape(heading)}</h2>{linebreaks(text, autoescape=True)}" for heading, text in sections)
    html = f"""<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><style>
      @font-face {{ font-family: "IPAexGothic"; src: url("{FONT.as_uri()}"); }}
      @page {{ size: A4; margin: 20mm 18mm; @bottom-right {{ content: "{escape(footer)}  " counter(page);
               font-size: 8pt; color: #718096; }} }}
      body {{ font-family: "IPAexGothic", sans-serif; font-size: 10.5pt; color: #1c2333; line-height: 1.7; }}
      .brand {{ color: #0b6bcb; font-size: 9pt; letter-spacing: .1em; }}
      h1 {{ font-size: 20pt; margin: 2mm 0 1mm; }} .sub {{ color: #4a5568; margin-bottom: 8mm; }}
      h2 {{ font-size: 12.5pt; border-left: 1.2mm solid #0b6bcb; padding-left: 2.5mm; margin: 7mm 0 2mm; }}
    </style></head><body><div class="brand">株式会社ミライクラウド</div><h1>{escape(title)}</h1>
    <div class="sub">{escape(subtitle)}</div>{body}</body></html>"""
    return HTML(string=html).write_pdf()


# --------------------------------------------------------------------------- courses and quizzes

CERTIFICATIONS = [
    # code, name, description, months, requires
    ("mirai-sales-basic", "ミライクラウド認定セールス（ベーシック）",
     "4製品の特長・価格・契約条件を理解し、顧客に正しく説明できることを認定します。", 12, None),
    ("mirai-implementation", "ミライクラウド認定導入コンサルタント",
     "初期設定、データ移行、本番切替までの導入プロジェクトを自社で主導できることを認定します。", 12, None),
    ("mirai-sales-advanced", "ミライクラウド認定ソリューションアーキテクト（上位認定資格）",
     "複数製品を組み合わせた大規模案件の提案とセキュリティ審査対応ができることを認定します。"
     "受験にはベーシック認定が有効であることが必要です。", 12, "mirai-sales-basic"),
]

# Each question: (text, correct choices, wrong choices); two or more correct ones make it multiple choice.
BASIC_QUIZ = [
    ("クラウド勤怠の最低契約ユーザー数はどれですか。", ["30ユーザー"], ["10ユーザー", "50ユーザー", "制限なし"]),
    ("全製品共通の無料トライアル期間はどれですか。", ["30日間"], ["14日間", "60日間", "90日間"]),
    ("クラウド経費精算が電子帳簿保存法の要件を満たすために備えている機能をすべて選んでください。",
     ["タイムスタンプの自動付与", "訂正・削除履歴の保持", "日付・金額・取引先による検索"], ["紙の原本の郵送代行"]),
    ("クラウド勤怠で利用できる打刻方法をすべて選んでください。",
     ["ICカード", "スマートフォンのGPS打刻", "PCのブラウザ"], ["FAXによる申請"]),
    ("適格請求書（インボイス）の登録番号を自動で照合する製品はどれですか。",
     ["クラウド経費精算"], ["クラウド勤怠", "人事労務パック", "ワークフロー"]),
    ("ワークフローの承認経路で設定できるものをすべて選んでください。",
     ["金額による条件分岐", "代理承認", "並列承認"], ["承認者の自動選考"]),
    ("標準の契約形態として正しいものはどれですか。",
     ["年間契約（料金は月払いまたは年払い）"], ["1か月単位の契約のみ", "3年契約のみ", "買い切りライセンス"]),
    ("人事労務パックに含まれる機能はどれですか。",
     ["入社手続きと年末調整の電子化"], ["販売管理", "在庫管理", "会計仕訳の自動作成"]),
    ("顧客データの保管場所として正しいものはどれですか。",
     ["国内リージョン（東京・大阪で二重化）"], ["米国リージョンのみ", "顧客社内のサーバー", "保管しない"]),
    ("クラウド勤怠の36協定アラートについて正しいものをすべて選んでください。",
     ["上限に近づくと本人と上長に通知する", "月45時間・年360時間などの上限を設定できる"],
     ["超過した残業時間を自動で削除する"]),
    ("標準サポート窓口の受付時間はどれですか。", ["平日9:00〜18:00"], ["24時間365日", "平日10:00〜15:00", "土日のみ"]),
]
PROPOSAL_QUIZ = [
    ("初回訪問で最初に確認すべきことはどれですか。",
     ["顧客の現状の業務課題と決裁の進め方"], ["値引きの上限", "競合製品の欠点", "契約書の雛形"]),
    ("BANTの「A」が表すものはどれですか。", ["Authority（決裁権）"], ["Amount（金額）", "Agenda（議題）", "Approval（承認）"]),
    ("勤怠システム刷新のきっかけとして多いものをすべて選んでください。",
     ["働き方改革関連法への対応", "拠点やテレワークの増加", "給与計算での手作業ミス"], ["社名の変更"]),
    ("導入効果を示す際に最も説得力が高いのはどれですか。",
     ["顧客自身の数値で試算した削減時間と金額"], ["一般的な業界平均", "機能の数", "他社製品の価格"]),
    ("競合比較表を提示するときの注意点として正しいものをすべて選んでください。",
     ["公開情報に基づき出典と日付を記載する", "顧客の評価軸に沿って比較する"],
     ["競合を誹謗する表現を使う", "未確認の噂を載せる"]),
    ("稟議を通すために顧客の担当者へ渡すとよい資料はどれですか。",
     ["費用対効果と導入スケジュールをまとめた稟議用資料"], ["製品の全機能一覧", "社内用の仕切価格表", "非公開の開発ロードマップ"]),
    ("案件を登録するタイミングとして正しいものはどれですか。",
     ["課題と予算感を確認した時点で、提案前に登録する"], ["受注してから登録する", "失注してから登録する", "登録は不要"]),
    ("無料トライアルの成功率を上げる方法として正しいものをすべて選んでください。",
     ["評価項目と期間を事前に合意する", "1週目に設定支援の打ち合わせを入れる"], ["トライアル中は連絡を控える"]),
    ("役員向けの提案で重視すべき観点はどれですか。", ["経営課題と投資対効果"], ["画面の配色", "操作手順の詳細", "API仕様"]),
]
IMPLEMENTATION_QUIZ = [
    ("従業員データを一括登録するときのファイル形式はどれですか。", ["CSV（UTF-8）"], ["PDF", "画像ファイル", "紙の名簿"]),
    ("就業ルールの設定で最初に行うことはどれですか。",
     ["所定労働時間と休日カレンダーの登録"], ["有給休暇の付与", "打刻機の発注", "給与明細の配布"]),
    ("シングルサインオンで対応しているものをすべて選んでください。",
     ["SAML 2.0", "Microsoft Entra ID", "Google Workspace"], ["FTP"]),
    ("既存の給与ソフトへ勤怠データを渡す標準の方法はどれですか。",
     ["給与ソフト別の連携用CSV出力"], ["手入力のみ", "紙に印刷して渡す", "メール本文に貼り付ける"]),
    ("300名規模の導入プロジェクトの標準期間はどれですか。", ["約2〜3か月"], ["約1週間", "約1年", "約3年"]),
    ("本番切替の前に必ず行うことをすべて選んでください。",
     ["並行稼働で前月の勤怠を突き合わせる", "管理者と承認者の権限を確認する", "従業員向けの操作説明を行う"],
     ["旧システムのデータをすぐに削除する"]),
    ("経費精算の仕訳連携で設定が必要なものはどれですか。",
     ["勘定科目と税区分の対応づけ"], ["社員の顔写真", "打刻機のIPアドレス", "ロゴ画像"]),
    ("管理者権限の付与について正しいものはどれですか。",
     ["必要最小限の担当者に限り、定期的に見直す"], ["全社員に付与する", "外部委託先に無制限で付与する", "誰にも付与しない"]),
    ("有給休暇の自動付与に必要な情報はどれですか。", ["入社日と所定労働日数"], ["血液型", "通勤経路", "家族構成"]),
]
ADVANCED_QUIZ = [
    ("人事労務パックとワークフローの連携で自動化できるものをすべて選んでください。",
     ["入社手続きの承認後に従業員台帳を作成する", "異動の承認後に組織と承認経路を更新する", "退職時のアカウント停止を依頼する"],
     ["採用面接の合否を判定する"]),
    ("1,000名以上の企業への提案で最も重要なものはどれですか。",
     ["既存システムとの連携要件とデータ移行計画"], ["画面の配色", "値引きの額", "無料期間の延長"]),
    ("API連携で使う認証方式はどれですか。", ["OAuth 2.0"], ["平文のBasic認証", "パスワードのメール送付", "認証なし"]),
    ("グループ会社をまとめて管理するときの構成として正しいものはどれですか。",
     ["親会社の契約の下に会社ごとの組織を作る"],
     ["会社ごとに別契約でないと管理できない", "全社を1つの組織に混在させる", "手作業で集計する"]),
    ("セキュリティ審査でよく求められる資料をすべて選んでください。",
     ["ISMS（ISO/IEC 27001）認証の情報", "SOC 2 Type II 報告書", "稼働率の実績（SLA 99.9%）"], ["ソースコード一式"]),
    ("複数製品をまとめて提案するときの価格の考え方として正しいものはどれですか。",
     ["2製品以上のセット割引（10%）と年間契約を組み合わせる"],
     ["製品ごとに最も高い価格を提示する", "すべて無料にする", "見積もりは出さない"]),
    ("導入後の定着で確認する指標として適切なものをすべて選んでください。",
     ["月次のアクティブ利用率", "申請から承認までの平均日数", "打刻漏れの件数"], ["営業担当の訪問回数"]),
    ("上位認定資格の有効期間はどれですか。", ["12か月（更新試験で延長）"], ["無期限", "3か月", "5年"]),
]

VIDEO = "https://videos.mirai-cloud.example/partner-academy/"

COURSES = [
    {
        "key": "basics", "title": "製品基礎：ミライクラウド4製品の特長と価格",
        "summary": "クラウド勤怠・経費精算・ワークフロー・人事労務パックの特長、価格、契約条件とサポート体制を学びます。"
                   "すべての販売パートナーに最初に受講いただく講座です。",
        "required_for_types": SELLERS, "required_from_tier_rank": None, "min_tier_rank": 0, "partner_types": [],
        "modules": [
            ("text", "製品ラインナップと想定顧客", 10,
             "ミライクラウドは、従業員30名から3,000名規模の企業のバックオフィス業務をまとめて効率化するクラウドサービスです。\n\n"
             "・クラウド勤怠：ICカード・スマートフォン・PCで打刻し、残業や有給休暇を自動で集計します。\n"
             "・クラウド経費精算：領収書をスマートフォンで撮影するだけで申請でき、電子帳簿保存法とインボイス制度に対応しています。\n"
             "・ワークフロー：稟議や各種申請を電子化し、金額や部署に応じた承認経路を設定できます。\n"
             "・人事労務パック：入社手続き、従業員台帳、年末調整を電子化します。\n\n"
             "最も多い導入のきっかけは「紙とExcelの勤怠管理が限界」「法改正への対応」の2つです。"),
            ("video", "デモ動画：クラウド勤怠の打刻から月次締めまで", 15,
             "実際の画面で、打刻、申請・承認、月次締め、給与ソフトへの連携までを15分で確認します。"),
            ("text", "経費精算と電子帳簿保存法・インボイス制度", 12,
             "クラウド経費精算は、撮影した領収書にタイムスタンプを自動で付与し、訂正・削除の履歴を保持します。"
             "日付・金額・取引先で検索できるため、電子帳簿保存法の保存要件を満たします。\n\n"
             "インボイス制度については、請求書の登録番号を国税庁のデータと自動で照合し、適格請求書かどうかを判定します。"
             "経理部門への提案では、この2点を最初に伝えると関心を得やすくなります。"),
            ("document", "価格体系と契約条件", 8,
             "価格表と契約条件の要点をPDFにまとめました。顧客への提示前に必ず最新版を確認してください。"),
            ("text", "サポート体制とデータの安全性", 8,
             "標準サポートは平日9:00〜18:00、メール・電話・チャットで受け付けます。"
             "顧客データは国内リージョン（東京・大阪で二重化）に保管し、ISMS（ISO/IEC 27001）認証を取得しています。\n\n"
             "稼働率は99.9%を保証（SLA）しており、障害情報はステータスページで公開しています。"),
        ],
        "quiz": (BASIC_QUIZ, "mirai-sales-basic", 70, 10, 20),
    },
    {
        "key": "proposal", "title": "提案力強化：課題ヒアリングから稟議まで",
        "summary": "初回訪問のヒアリング、費用対効果の示し方、稟議を通す資料づくりを、ロールプレイ動画とともに学びます。",
        "required_for_types": [], "required_from_tier_rank": 2, "min_tier_rank": 0, "partner_types": SELLERS,
        "modules": [
            ("text", "ヒアリングの進め方（BANT）", 12,
             "初回訪問では、製品説明より先に顧客の現状を伺います。BANT（予算・決裁権・必要性・導入時期）を意識し、"
             "特に「誰が、どのような手順で決めるのか」を早めに確認してください。\n\n"
             "よく効く質問：「月末の締め作業には何人で何日かかっていますか」「前回システムを選んだときは、どなたが決めましたか」"),
            ("video", "ロールプレイ：製造業の総務部長への初回訪問", 18,
             "ベテラン営業による初回訪問のロールプレイです。課題の引き出し方と、次回アポイントの取り方に注目してください。"),
            ("document", "提案書の作り方ガイド", 10,
             "提案書テンプレートの使い方と、削減効果の試算方法を解説したガイドです。"),
            ("text", "稟議を通すための資料づくり", 10,
             "顧客の担当者は、社内で稟議を通す「社内営業」をしています。費用対効果、導入スケジュール、"
             "セキュリティへの回答を1枚にまとめた稟議用資料を渡すと、決裁までの期間が平均で3週間短くなります。"),
        ],
        "quiz": (PROPOSAL_QUIZ, None, 70, 8, 20),
    },
    {
        "key": "implementation", "title": "導入・設定：初期設定からデータ移行、本番切替まで",
        "summary": "導入プロジェクトの進め方、従業員データの一括登録、SSO設定、給与ソフト連携と並行稼働を学びます。",
        "required_for_types": ["solution", "distributor"], "required_from_tier_rank": None, "min_tier_rank": 0,
        "partner_types": ["solution", "distributor", "resale", "oem"],
        "modules": [
            ("text", "導入プロジェクトの流れ", 10,
             "300名規模の標準的な導入期間は約2〜3か月です。\n\n"
             "1. キックオフ（目的・範囲・体制の合意）\n2. 就業ルールの設定と従業員データの登録\n"
             "3. 給与ソフト・会計ソフトとの連携設定\n4. 並行稼働（1か月）\n5. 本番切替と操作説明"),
            ("document", "初期設定チェックリスト", 5,
             "初期設定で漏れやすい項目をチェックリストにしました。キックオフで顧客と共有してください。"),
            ("video", "従業員データの一括登録とSSO設定", 20,
             "CSVでの一括登録、部署と承認経路の設定、Microsoft Entra ID・Google WorkspaceとのSSO設定を実演します。"),
            ("text", "並行稼働と本番切替", 10,
             "本番切替の前に、前月の勤怠を新旧のシステムで突き合わせます。差異の多くは休日カレンダーと端数処理の設定漏れです。"
             "管理者と承認者の権限を確認し、従業員向けの操作説明会を開いてから切り替えてください。"),
        ],
        "quiz": (IMPLEMENTATION_QUIZ, "mirai-implementation", 80, 8, 25),
    },
    {
        "key": "advanced", "title": "上級ソリューション：複数製品の連携と大規模案件",
        "summary": "人事労務パックとワークフローの連携シナリオ、1,000名以上の案件の進め方、セキュリティ審査への対応を学びます。"
                   "ゴールド以上のパートナー向けの講座です。",
        "required_for_types": [], "required_from_tier_rank": 4, "min_tier_rank": 3, "partner_types": [],
        "modules": [
            ("text", "人事労務パックとワークフローの連携シナリオ", 15,
             "入社手続きの承認が終わると従業員台帳が作成され、勤怠・経費精算のアカウントが自動で発行されます。"
             "異動の承認後は、組織と承認経路が発令日に切り替わります。\n\n"
             "この「入社から退職までの一気通貫」が、複数製品をまとめて提案する最大の理由です。"),
            ("video", "大規模案件の提案事例（1,000名規模・製造業）", 25,
             "グループ会社5社・従業員1,200名の製造業への提案を、要件定義から受注まで振り返ります。"),
            ("document", "セキュリティ審査対応資料集", 10,
             "セキュリティチェックシートの回答例、SOC 2報告書の入手方法、SLAの説明資料をまとめました。"),
        ],
        "quiz": (ADVANCED_QUIZ, "mirai-sales-advanced", 80, 8, 25),
    },
    {
        "key": "referral", "title": "紹介パートナー入門：顧客紹介のしくみと報酬",
        "summary": "紹介制度の流れ、紹介報酬、顧客への声のかけ方を短時間で学びます。",
        "required_for_types": ["referral"], "required_from_tier_rank": None, "min_tier_rank": 0,
        "partner_types": INTRODUCERS,
        "modules": [
            ("text", "紹介制度のしくみと報酬", 8,
             "ポータルで案件を登録すると、ミライクラウドの営業が顧客への提案を引き継ぎます。"
             "受注した場合、初年度契約金額の10%を紹介報酬としてお支払いします。"),
            ("video", "3分でわかるミライクラウド", 3, "顧客にそのまま見せられる3分間の紹介動画です。"),
            ("document", "紹介用パンフレット", 5, "顧客に渡せるA4両面のパンフレットです。"),
        ],
        "quiz": None,
    },
]


def _certifications() -> dict[str, Certification]:
    made: dict[str, Certification] = {}
    for code, name, description, months, requires in CERTIFICATIONS:
        # programs.demo may have made the basic one already, for the certified reps of its tier story
        made[code], _created = Certification.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "validity_months": months,
                                 "requires": made.get(requires) if requires else None})
    return made


def _courses(certifications: dict[str, Certification]) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    for position, spec in enumerate(COURSES, start=1):
        course = Course.objects.create(
            title=spec["title"], summary=spec["summary"], required_for_types=spec["required_for_types"],
            required_from_tier_rank=spec["required_from_tier_rank"], min_tier_rank=spec["min_tier_rank"],
            partner_types=spec["partner_types"], position=position)
        for n, (kind, title, minutes, body) in enumerate(spec["modules"], start=1):
            module = Module(course=course, title=title, kind=kind, body=body, minutes=minutes, position=n)
            if kind == "video":
                module.video_url = f"{VIDEO}{spec['key']}-{n}"
            elif kind == "document":
                module.document.save(f"{spec['key']}-{n}.pdf", ContentFile(pdf_document(
                    title, course.title, [("概要", body), ("ポイント", _DOCUMENT_POINTS[spec["key"]])],
                    footer="パートナー向け研修資料")), save=False)
            module.save()
        if spec["quiz"] is not None:
            bank, certification, pass_mark, per_attempt, minutes = spec["quiz"]
            quiz = Quiz.objects.create(course=course,
                                       certification=certifications[certification] if certification else None,
                                       pass_mark=pass_mark, questions_per_attempt=per_attempt, max_attempts=3,
                                       cooldown_hours=24, time_limit_minutes=minutes)
            for text, right, wrong in bank:
                question = Question.objects.create(quiz=quiz, text=text, multiple=len(right) > 1)
                Choice.objects.bulk_create([Choice(question=question, text=label, correct=True) for label in right]
                                           + [Choice(question=question, text=label, correct=False) for label in wrong])
        courses[spec["key"]] = course
    onboarding = LearningPath.objects.create(
        title="新任営業オンボーディング", partner_types=SELLERS,
        description="販売パートナーの新任営業が最初の3か月で受講する講座です。製品基礎の認定取得までを目標にします。")
    engineer = LearningPath.objects.create(
        title="導入コンサルタント育成コース", partner_types=["solution", "distributor", "resale"],
        description="自社で導入プロジェクトを主導できるエンジニアを育てるコースです。上位認定資格の取得を目指します。")
    for path, keys in ((onboarding, ["basics", "proposal"]), (engineer, ["basics", "implementation", "advanced"])):
        PathCourse.objects.bulk_create([PathCourse(path=path, course=courses[key], position=n)
                                        for n, key in enumerate(keys)])
    return courses


_DOCUMENT_POINTS = {
    "basics": "クラウド勤怠 月額300円／ユーザー、クラウド経費精算 月額500円／ユーザー、ワークフロー 月額300円／ユーザー、"
              "人事労務パック 月額600円／ユーザー（いずれも税抜）。\n最低30ユーザー、年間契約。2製品以上のセットで10%割引。\n"
              "無料トライアルは30日間。初期設定支援は別途10万円から。",
    "proposal": "1. 表紙には顧客の課題を一文で書く\n2. 現状の工数を顧客の数値で示す\n3. 導入後の削減時間と金額を試算する\n"
                "4. 導入スケジュールと体制\n5. 費用と投資回収期間",
    "implementation": "□ 休日カレンダー □ 所定労働時間 □ 端数処理 □ 承認経路 □ 給与ソフト連携 □ SSO □ 管理者権限 □ 操作説明会",
    "advanced": "セキュリティチェックシート回答例（全120項目）／SOC 2 Type II 報告書の入手手順（NDA締結後）／"
                "SLA 99.9%の定義と返金規定／脆弱性診断の実施状況",
    "referral": "紹介の流れ：ポータルで案件登録 → ミライクラウドの営業が提案 → 受注後に紹介報酬をお支払い。",
}


# --------------------------------------------------------------------------- learners


def _attempt(quiz: Quiz, user: User, at: datetime, target: int, rng: random.Random) -> QuizAttempt:
    """A submitted attempt scoring about `target` percent, with real questions and answers."""
    questions = list(quiz.questions.prefetch_related("choices"))
    picked = rng.sample(questions, min(quiz.questions_per_attempt, len(questions)))
    right = round(target * len(picked) / 100)
    order, answers = {}, {}
    for n, question in enumerate(picked):
        choices = list(question.choices.all())
        ids = [choice.pk for choice in choices]
        rng.shuffle(ids)
        order[str(question.pk)] = ids
        correct = sorted(choice.pk for choice in choices if choice.correct)
        answers[str(question.pk)] = correct if n < right else [next(c.pk for c in choices if not c.correct)]
    score = right * 100 // len(picked)
    return QuizAttempt.objects.create(
        quiz=quiz, user=user, started_at=at, deadline=at + timedelta(minutes=quiz.time_limit_minutes),
        question_ids=[question.pk for question in picked], choice_order=order, answers=answers,
        submitted_at=at + timedelta(minutes=quiz.time_limit_minutes // 2 + 3), score=score,
        passed=score >= quiz.pass_mark)


def _complete(user: User, course: Course, at: datetime, modules: int | None = None) -> None:
    """Modules done (all by default); finishing them all completes the course, with its signal."""
    chosen = list(course.modules.order_by("position"))[: modules]
    ModuleProgress.objects.bulk_create([ModuleProgress(user=user, module=module, completed_at=at + timedelta(minutes=15 * n))
                                        for n, module in enumerate(chosen)])
    if len(chosen) == course.modules.count():
        completion = CourseCompletion.objects.create(user=user, course=course, completed_at=at + timedelta(hours=1))
        signal_record(partner=user.partner_membership.partner, contact=getattr(user, "contact", None),
                      kind=SignalKind.TRAINING_COMPLETED, occurred_at=completion.completed_at,
                      source=f"enablement.CourseCompletion:{completion.pk}")


def _award(user: User, certification: Certification, attempt: QuizAttempt) -> CertificationAward:
    issued = attempt.submitted_at
    award = CertificationAward.objects.create(
        certification=certification, user=user, partner=user.partner_membership.partner, holder_name=user.get_full_name(),
        issued_at=issued, expires_at=add_months(issued, certification.validity_months), attempt=attempt)
    signal_record(partner=award.partner, contact=getattr(user, "contact", None), kind=SignalKind.CERTIFIED,
                  occurred_at=issued, source=f"enablement.CertificationAward:{award.pk}")
    return award


def _learners(users: dict[str, User], courses: dict[str, Course], now: datetime, rng: random.Random) -> None:
    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    # user → list of (course, days ago, modules or None, [(quiz score, days ago) …]); a pass on a
    # certifying quiz awards its certification then.
    plan: dict[str, list] = {
        # Certified six months ago, half way through the proposal course.
        SAKURA_REP: [(courses["basics"], 160, None, [(60, 158), (90, 155)]), (courses["proposal"], 20, 2, [])],
        # Certified almost a year ago: expires within the month.
        SAKURA_ADMIN: [(courses["basics"], 352, None, [(80, 350)]), (courses["proposal"], 110, None, [(78, 100)])],
        # Not certified yet: two failed attempts, three of five modules (so still "valid", not "trained").
        SAKURA_REP_2: [(courses["basics"], 14, 3, [(50, 12), (60, 5)])],
        # Basic, implementation and the advanced certification (上位認定資格).
        HOKUTO_ADMIN: [(courses["basics"], 305, None, [(100, 300)]), (courses["implementation"], 125, None, [(88, 120)]),
                       (courses["advanced"], 65, None, [(75, 62), (88, 60)])],
        # Certified 14 months ago and not renewed: expired (so no longer "trained"); a failed renewal attempt.
        HOKUTO_REP: [(courses["basics"], 425, None, [(80, 420), (60, 2)])],
        # A referral partner's admin: the intro course, and the basic certification expiring soon.
        NEXTLINK_ADMIN: [(courses["referral"], 350, None, []), (courses["basics"], 347, None, [(90, 345)])],
        # Half way through implementation; failed a few hours ago, so the cool-down is running.
        TOWA_ADMIN: [(courses["basics"], 40, None, []), (courses["implementation"], 9, 2, [(62, 0.25)])],
    }
    for email, steps in plan.items():
        user = users.get(email)
        if user is None:
            continue
        viewer = Viewer.of(user.partner_membership.partner)
        for course, days, modules, attempts in steps:
            if not sees(course, viewer):
                continue
            _complete(user, course, ago(days), modules)
            quiz = getattr(course, "quiz", None)
            for score, attempt_days in attempts:
                attempt = _attempt(quiz, user, ago(attempt_days), score, rng)
                if attempt.passed and quiz.certification is not None:
                    _award(user, quiz.certification, attempt)


# --------------------------------------------------------------------------- the library

LIBRARY = [
    # title, kind, tags, description, versions, gated, min tier rank, partner types
    ("提案書テンプレート：クラウド勤怠（中小企業向け）", "proposal", ["勤怠", "中小企業", "提案書"],
     "従業員30〜300名の企業向け。現状の課題、削減効果の試算、導入スケジュールまで入ったPowerPoint相当の構成です。", 3, False, 0, []),
    ("提案書テンプレート：クラウド経費精算（電子帳簿保存法対応）", "proposal", ["経費精算", "電子帳簿保存法", "提案書"],
     "経理部門向け。電子帳簿保存法とインボイス制度への対応を軸にした提案書です。", 2, False, 0, []),
    ("提案書テンプレート：ワークフロー（稟議の電子化）", "proposal", ["ワークフロー", "提案書"],
     "紙の稟議書からの移行を提案するテンプレート。承認日数の短縮効果を試算できます。", 1, False, 0, []),
    ("提案書テンプレート：人事労務パック（入社手続き・年末調整）", "proposal", ["人事労務", "年末調整", "提案書"],
     "人事部門向け。入社手続きと年末調整の電子化による工数削減を示します。", 1, False, 0, []),
    ("役員向けエグゼクティブサマリー（ROI試算付き）", "proposal", ["役員向け", "ROI", "提案書"],
     "経営層に1枚で投資対効果を伝えるサマリー。試算シート付き。", 2, True, 0, []),
    ("大規模企業向け提案書（従業員1,000名以上）", "proposal", ["大企業", "提案書", "グループ会社"],
     "グループ会社の一括管理、SSO、既存システム連携を含む大規模案件向けの提案書です。", 1, True, 3, []),
    ("テレアポトークスクリプト：勤怠システム刷新", "talk_script", ["勤怠", "テレアポ"],
     "総務・人事部門へのアポイント獲得用。受付突破から日程調整までの台本です。", 1, False, 0, []),
    ("初回訪問ヒアリングシート", "talk_script", ["初回訪問", "ヒアリング", "BANT"],
     "BANTに沿った質問項目と、回答を書き込める記入欄付きのシートです。", 2, False, 0, []),
    ("切り返しトーク集「今のシステムで困っていない」", "talk_script", ["初回訪問", "切り返し"],
     "よくある断り文句10種への切り返し例。ベテラン営業の実例から作成しました。", 1, False, 0, []),
    ("経理部門向けトークスクリプト：インボイス制度", "talk_script", ["経費精算", "インボイス制度", "テレアポ"],
     "インボイス制度の運用負担を切り口にした経理部門向けのトークです。", 1, False, 0, []),
    ("デモ進行台本：クラウド勤怠15分デモ", "talk_script", ["勤怠", "デモ"],
     "打刻、申請・承認、月次締めを15分で見せるデモの進行台本です。", 2, False, 0, []),
    ("顧客紹介トーク（紹介パートナー向け）", "talk_script", ["紹介", "初回訪問"],
     "顧問先や取引先に自然に紹介するための声のかけ方と、よくある質問への答え方です。", 1, False, 0, INTRODUCERS),
    ("導入事例：株式会社丸の内フーズ（飲食・120店舗）", "case_study", ["導入事例", "勤怠", "飲食"],
     "120店舗のシフト勤務をクラウド勤怠で一元管理。月次締めを5日から1日に短縮。", 1, False, 0, []),
    ("導入事例：札幌建設株式会社（建設・直行直帰）", "case_study", ["導入事例", "勤怠", "建設"],
     "現場への直行直帰をスマートフォンのGPS打刻で管理。残業の把握漏れをなくしました。", 1, False, 0, []),
    ("導入事例：株式会社博多ロジスティクス（物流・シフト勤務）", "case_study", ["導入事例", "勤怠", "物流"],
     "24時間稼働の物流センター3拠点で、36協定アラートにより長時間労働を削減。", 1, False, 0, []),
    ("導入事例：医療法人みどり会（医療・介護）", "case_study", ["導入事例", "勤怠", "医療・介護"],
     "夜勤を含む複雑な勤務体系をテンプレートで設定。看護部の集計作業を月40時間削減。", 1, False, 0, []),
    ("導入事例：株式会社中央会計サービス（士業・経費精算）", "case_study", ["導入事例", "経費精算", "士業"],
     "顧問先への横展開のきっかけになった、会計事務所自身の経費精算の電子化事例です。", 1, False, 0, []),
    ("導入事例：株式会社グローバル精工（製造業・ワークフロー）", "case_study", ["導入事例", "ワークフロー", "製造業"],
     "稟議の平均承認日数を12日から3日に短縮。海外拠点からの申請にも対応。", 2, False, 0, []),
    ("導入事例集 2026年版（12社）", "case_study", ["導入事例", "事例集"],
     "業種別12社の導入事例をまとめた冊子。顧客への提示は要約版のみ可。", 2, True, 0, []),
    ("競合比較表：勤怠管理システム主要5製品", "comparison", ["競合比較", "勤怠"],
     "公開情報に基づく主要5製品の機能・価格比較。出典と調査日を記載しています。", 3, True, 0, []),
    ("競合比較表：経費精算システム", "comparison", ["競合比較", "経費精算"],
     "電子帳簿保存法・インボイス制度への対応状況を中心にした比較表です。", 2, True, 0, []),
    ("機能比較表：ミライクラウド全製品", "comparison", ["機能比較", "価格"],
     "4製品の機能と料金を1枚で比較できる表です。顧客への配布可。", 1, False, 0, []),
    ("価格表（パートナー向け・2026年10月改定）", "comparison", ["価格", "仕切価格"],
     "標準価格とランク別の仕切率を記載したパートナー向け価格表です。社外秘。", 2, False, 0, SELLERS),
    ("オンプレミス製品からの乗り換え比較", "comparison", ["競合比較", "乗り換え", "大企業"],
     "オンプレミスの勤怠・ワークフロー製品からの移行コストと運用コストの比較です。", 1, True, 3, []),
    ("製品パンフレット：クラウド勤怠", "brochure", ["勤怠", "パンフレット"], "顧客配布用のA4両面パンフレットです。", 1, False, 0, []),
    ("製品パンフレット：クラウド経費精算", "brochure", ["経費精算", "パンフレット"], "顧客配布用のA4両面パンフレットです。",
     1, False, 0, []),
    ("製品パンフレット：ワークフロー", "brochure", ["ワークフロー", "パンフレット"], "顧客配布用のA4両面パンフレットです。",
     1, False, 0, []),
    ("製品パンフレット：人事労務パック", "brochure", ["人事労務", "パンフレット"], "顧客配布用のA4両面パンフレットです。", 1, False, 0, []),
    ("電子帳簿保存法 対応ガイド（顧客配布用）", "brochure", ["電子帳簿保存法", "経費精算"],
     "法改正のポイントと、クラウド経費精算での対応方法をわかりやすく解説した冊子です。", 2, False, 0, []),
    ("セキュリティホワイトペーパー", "brochure", ["セキュリティ", "大企業"],
     "データの保管場所、暗号化、認証、第三者認証の取得状況をまとめた資料です。", 2, False, 0, []),
    ("展示会用チラシ（A4片面）", "brochure", ["イベント", "パンフレット"], "来月の展示会向けに準備中のチラシです。", 1, False, 0, []),
]
KIND_LABELS = {"proposal": "提案書テンプレート", "talk_script": "トークスクリプト", "case_study": "導入事例",
               "comparison": "比較資料", "brochure": "パンフレット"}
VERSION_NOTES = ["初版", "価格改定（2026年10月）を反映", "事例と画面キャプチャを最新版に更新"]


def _library_file(slug: str, title: str, kind: str, description: str, number: int) -> ContentFile:
    return ContentFile(pdf_document(title, f"{KIND_LABELS[kind]}　第{number}版", [
        ("概要", description),
        ("使い方", "顧客の状況に合わせて、赤字の部分を書き換えてお使いください。"
                   "ご不明な点はポータルの「質問する」からお問い合わせください。")], footer=f"v{number}"),
        name=f"{slug}-v{number}.pdf")


def _library(admin: User, now: datetime, rng: random.Random) -> list[ContentItem]:
    items = []
    for index, (title, kind, tags, description, versions, gated, min_rank, types) in enumerate(LIBRARY):
        slug = f"library-{index + 1:02d}"
        item = services.content_create(actor=admin, file=_library_file(slug, title, kind, description, 1),
                                       notes=VERSION_NOTES[0], title=title, kind=kind,
                                       tags=tags, description=description, gated=gated, min_tier_rank=min_rank,
                                       partner_types=types, is_published=index != len(LIBRARY) - 1)
        for number in range(2, versions + 1):
            services.content_version_add(item=item, actor=admin, file=_library_file(slug, title, kind, description, number),
                                         notes=VERSION_NOTES[number - 1])
        # As if the library had grown over half a year, versions a few weeks apart.
        created = now - timedelta(days=180 - index * 5, hours=rng.randrange(0, 8))
        version_rows = list(ContentVersion.objects.filter(item=item).order_by("number"))
        for n, version in enumerate(version_rows):
            version.uploaded_at = created + timedelta(days=n * 35)
        ContentVersion.objects.bulk_update(version_rows, ["uploaded_at"])
        ContentItem.objects.filter(pk=item.pk).update(created_at=created, updated_at=version_rows[-1].uploaded_at)
        items.append(ContentItem.objects.get(pk=item.pk))
    return items


def _library_use(items: list[ContentItem], users: dict[str, User], now: datetime, rng: random.Random) -> int:
    """Views and downloads over the last 90 days, set-based, with the counters and signals they imply."""
    versions: dict[int, list[ContentVersion]] = {}
    for version in ContentVersion.objects.filter(item__in=items).order_by("item_id", "number"):
        versions.setdefault(version.item_id, []).append(version)
    rows = []
    for user in users.values():
        partner = user.partner_membership.partner
        viewer = Viewer.of(partner)
        open_items = [item for item in items if item.is_published and sees(item, viewer)]
        rng.shuffle(open_items)  # everyone has their own favourites
        busy = 90 if user.is_partner_admin else 60
        for _ in range(busy):
            item = open_items[min(int(rng.expovariate(0.12)), len(open_items) - 1)]  # a few items are popular
            since = max(now - timedelta(days=90), item.created_at)  # nobody opens an item before it exists
            at = timezone.localtime(since + (now - since) * rng.random())
            at = at.replace(hour=rng.choice([9, 10, 11, 13, 14, 15, 16, 17]), minute=rng.randrange(60))
            if at < since:
                at += timedelta(days=1)
            if at > now:
                at -= timedelta(days=1)
            current = [v for v in versions[item.pk] if v.uploaded_at <= at] or versions[item.pk][:1]
            action = ContentAccess.Action.DOWNLOAD if rng.random() < 0.4 else ContentAccess.Action.VIEW
            rows.append(ContentAccess(item=item, version=current[-1], user=user, contact=getattr(user, "contact", None),
                                      partner=partner, action=action, at=at))
    created = ContentAccess.objects.bulk_create(rows)
    ContactSignal.objects.bulk_create([
        ContactSignal(partner=access.partner, contact=access.contact, kind=SignalKind.CONTENT_DOWNLOADED,
                      occurred_at=access.at, source=f"enablement.ContentAccess:{access.pk}")
        for access in created if access.action == ContentAccess.Action.DOWNLOAD])

    def counted(action: str):
        per_item = (ContentAccess.objects.filter(item=OuterRef("pk"), action=action).order_by()
                    .values(key=Value(1)).annotate(n=Count("*")).values("n")[:1])
        return Coalesce(Subquery(per_item, output_field=IntegerField()), 0)

    ContentItem.objects.filter(pk__in=[item.pk for item in items]).update(
        view_count=counted(ContentAccess.Action.VIEW), download_count=counted(ContentAccess.Action.DOWNLOAD))
    return len(created)


# --------------------------------------------------------------------------- study sessions

SESSIONS = [
    # title, kind, days from today, start hour, hours, place, agenda, for partner, seats of, attended, leads
    ("2026年度 パートナーキックオフ", "kickoff", -75, 14, 2.5, "ミライクラウド本社 大会議室（東京・丸の内）／オンライン併催",
     "1. 2026年度の事業方針\n2. 新パートナープログラム（ランク制度）の説明\n3. 新製品ロードマップ\n4. 表彰式\n"
     "5. 「その場で案件登録」タイム", None, "all", [SAKURA_ADMIN, SAKURA_REP, HOKUTO_ADMIN, HOKUTO_REP, NEXTLINK_ADMIN,
                                               TOWA_ADMIN],
     [(SAKURA_REP, "株式会社みなとみらい物産", 2_400_000), (HOKUTO_ADMIN, "株式会社函館シーフーズ", 3_600_000),
      (NEXTLINK_ADMIN, "株式会社青山デザイン事務所", 900_000)]),
    ("新製品勉強会：クラウド経費精算 電子帳簿保存法対応版", "study", -40, 15, 1, "オンライン（Zoom）",
     "1. 法改正のポイント\n2. 新機能のデモ\n3. 経理部門への提案の進め方\n4. 質疑応答",
     None, "sakura+hokuto", [SAKURA_REP_2, HOKUTO_REP, SAKURA_ADMIN, HOKUTO_ADMIN],
     [(SAKURA_ADMIN, "株式会社川崎精密", 1_200_000), (HOKUTO_ADMIN, "株式会社旭川運輸", 1_800_000)]),
    ("さくらシステムズ様向け 提案力強化勉強会", "study", -12, 10, 2, "株式会社さくらシステムズ 本社会議室（横浜）",
     "1. 初回訪問ロールプレイ\n2. 提案書テンプレートの使い方\n3. 今期の重点顧客リストの確認", "株式会社さくらシステムズ",
     "sakura", [SAKURA_ADMIN, SAKURA_REP, SAKURA_REP_2], [(SAKURA_REP, "株式会社横浜ベイクリニック", 1_500_000)]),
    ("ワークフロー新機能 先行説明会", "webinar", 9, 16, 1, "オンライン（Teams）",
     "スマートフォンでの承認、条件分岐の強化、会計ソフト連携の新機能を先行してご紹介します。", None, "admins", [], []),
    ("下期キックオフ：人事労務パック拡販施策", "kickoff", 24, 13, 3, "ミライクラウド大阪支社 セミナールーム／オンライン併催",
     "1. 下期の重点施策\n2. 年末調整シーズンの提案シナリオ\n3. キャンペーンとMDFのご案内\n4. 懇親会", None, "all", [], []),
]


def _sessions(managers: list[User], users: dict[str, User], now: datetime, rng: random.Random) -> None:
    host = managers[0]
    products = list(Product.objects.order_by("code")[:2])
    partners = {user.partner_membership.partner.name: user.partner_membership.partner for user in users.values()}
    today = timezone.localdate()
    for title, kind, offset, hour, hours, place, agenda, only_for, seated, attended, leads in SESSIONS:
        day = today + timedelta(days=offset)
        starts = timezone.make_aware(datetime(day.year, day.month, day.day, hour))
        online = "オンライン" in place
        session = services.session_save(actor=host, title=title, kind=kind, starts_at=starts,
                                        ends_at=starts + timedelta(hours=hours), place=place, agenda=agenda,
                                        join_url=f"https://meet.example.com/mirai-{kind}-{day:%Y%m%d}" if online else "",
                                        partner=partners.get(only_for) if only_for else None,
                                        capacity=120 if kind == "kickoff" else 40)
        people = [user for user in users.values() if seated == "all"
                  or (seated == "admins" and user.is_partner_admin)
                  or (seated == "sakura" and user.email.endswith("sakura-systems.example"))
                  or (seated == "sakura+hokuto" and user.email.endswith(("sakura-systems.example", "hokuto-is.example")))]
        if starts > now:
            services.session_invite(session=session, actor=host, users=people)
            for user in people[::2]:  # half of them have confirmed their seat so far
                services.session_join(session=session, user=user)
            continue
        SessionSeat.objects.bulk_create([SessionSeat(session=session, user=user) for user in people])
        statuses = {seat.pk: (SessionSeat.Status.ATTENDED if seat.user.email in attended else SessionSeat.Status.ABSENT)
                    for seat in session.seats.select_related("user")}
        services.attendance_mark(session=session, actor=host, statuses=statuses)
        SessionSeat.objects.filter(session=session).update(marked_at=session.ends_at + timedelta(minutes=30))
        # The "register your leads now" step at the end: deals registered inside the session's window.
        for n, (email, customer, amount) in enumerate(leads):
            user = users.get(email)
            if user is None:
                continue
            deal = DealRegistration(
                partner=user.partner_membership.partner, registered_by=user, contact=getattr(user, "contact", None),
                customer_name=customer, amount=amount, expected_close=today + timedelta(days=45 + 15 * n),
                customer_contact_name="総務部 ご担当者", notes=f"{title}の案件登録タイムで登録",
                registered_at=session.ends_at - timedelta(minutes=10) + timedelta(minutes=rng.randrange(0, 45)),
                stage="approved" if offset < -30 else "registered")
            deal_services.apply_keys(deal, deal_services.customer_keys_for(customer, "", ""))
            if deal.stage == "approved":
                deal.decided_at, deal.decided_by = deal.registered_at + timedelta(days=1), host
                deal.expires_on = today + timedelta(days=60)
            deal.save()
            deal.products.set(products)
            signal_record(partner=deal.partner, contact=deal.contact, kind=SignalKind.DEAL_REGISTERED,
                          occurred_at=deal.registered_at, source=deal_services.signal_source(deal.pk))


# --------------------------------------------------------------------------- FAQ and questions

FAQ = [
    ("見積もりの有効期限はどのくらいですか。",
     "発行日から30日間です。価格改定をまたぐ場合は、改定前の価格での見積もりは改定日の前日まで有効です。",
     ["見積もり", "価格"]),
    ("最低契約ユーザー数は何名ですか。",
     "全製品とも30ユーザーからご契約いただけます。30名未満の企業も30ユーザー分の料金でご利用いただけます。",
     ["価格", "契約"]),
    ("無料トライアルはどのように申し込みますか。",
     "ポータルの案件登録から「トライアル希望」にチェックを入れて登録してください。承認後、顧客の管理者宛てに30日間のトライアル環境をお送りします。",
     ["トライアル", "案件登録"]),
    ("2製品以上をまとめて契約すると割引はありますか。", "2製品以上の同時契約で、対象製品の月額料金から10%割引します。年間契約が条件です。",
     ["価格", "割引"]),
    ("電子帳簿保存法のスキャナ保存要件に対応していますか。",
     "対応しています。タイムスタンプの自動付与、訂正・削除履歴の保持、日付・金額・取引先での検索に対応しており、JIIMA認証を取得しています。",
     ["経費精算", "電子帳簿保存法"]),
    ("顧客データはどこに保管されますか。", "国内リージョン（東京・大阪）のデータセンターに保管し、両拠点で二重化しています。",
     ["セキュリティ"]),
    ("セキュリティチェックシートへの回答を依頼されました。",
     "コンテンツライブラリの「セキュリティホワイトペーパー」に主要な回答をまとめています。個別のチェックシートは、質問から依頼いただければ5営業日以内に回答します。",
     ["セキュリティ", "大企業"]),
    ("案件登録の保護期間はどのくらいですか。", "承認日から90日間です。期限の14日前から、ポータルで延長を申請できます。",
     ["案件登録"]),
    ("認定資格の有効期限が切れるとどうなりますか。",
     "期限の30日前に本人と貴社の管理者にお知らせします。期限内に更新試験に合格すると、現在の期限から12か月延長されます。期限が切れた場合も、更新試験に合格すれば再認定されます。",
     ["認定資格", "研修"]),
    ("デモ環境は使えますか。",
     "認定セールス（ベーシック）を取得した方には、パートナー専用のデモ環境を発行します。研修ページからお申し込みください。",
     ["デモ", "認定資格"]),
    ("給与ソフトとの連携にはどの製品が対応していますか。",
     "主要な給与ソフト12製品に連携用CSVで対応しています。一覧は「機能比較表：ミライクラウド全製品」をご覧ください。",
     ["勤怠", "連携"]),
    ("紹介報酬はいつ支払われますか。", "受注月の翌月末締め、翌々月末にお支払いします。支払通知書はポータルからダウンロードできます。",
     ["紹介", "報酬"]),
]
QUESTIONS = [
    # asked by, text, days ago, path, answer, answered by
    (SAKURA_REP_2, "勤怠とワークフローを同時に導入する場合、初期設定支援の費用は2製品分かかりますか。", 1.5, "manager", "", None),
    (SAKURA_REP, "顧客から、既存のICカード（FeliCa以外）が使えるか確認を求められています。対応カードの一覧はありますか。", 3,
     "vendor", "", None),
    (HOKUTO_REP, "顧客が月途中でユーザー数を増やした場合、日割りになりますか。", 10, "manager",
     "月途中の追加は翌月1日からの課金です。日割りにはなりません（価格表の注記にあります）。", HOKUTO_ADMIN),
    (SAKURA_REP_2, "電子帳簿保存法のスキャナ保存で、JIIMA認証は取得済みでしょうか。顧客の経理部長から聞かれました。", 20, "vendor",
     "取得済みです。認証番号と証明書の写しは、セキュリティホワイトペーパーの付録に掲載しています。", "staff"),
    (NEXTLINK_ADMIN, "紹介した案件が失注した場合、紹介報酬は発生しますか。", 2, "vendor", "", None),
    (TOWA_ADMIN, "SAML連携でMicrosoft Entra IDのグループを承認経路に使えますか。", 6, "vendor",
     "使えます。グループIDと承認経路の対応づけを管理画面で設定してください。手順は導入・設定コースの3章で解説しています。", "staff"),
]


def _faq_and_questions(managers: list[User], users: dict[str, User], now: datetime) -> None:
    for n, (question, answer, tags) in enumerate(FAQ):
        FaqEntry.objects.create(question=question, answer=answer, tags=tags, created_at=now - timedelta(days=120 - n * 7))
    staff = managers[-1]
    for email, text, days, path, answer, answered_by in QUESTIONS:
        asker = users.get(email)
        if asker is None:
            continue
        question = services.question_ask(actor=asker, text=text)
        asked = now - timedelta(days=days)
        updates = {"asked_at": asked}
        if path == "vendor" and question.status == PartnerQuestion.Status.WITH_MANAGER:
            manager = next(iter(partner_managers(asker.partner_membership.partner)), asker)
            question = services.question_escalate(question=question, actor=manager)
        if question.status == PartnerQuestion.Status.WITH_VENDOR:
            updates["escalated_at"] = asked + timedelta(hours=5)
        if answer:
            responder = staff if answered_by == "staff" else users[answered_by]
            question = services.question_answer(question=question, actor=responder, answer=answer)
            updates["answered_at"] = asked + timedelta(hours=22 if answered_by == "staff" else 3)
        PartnerQuestion.objects.filter(pk=question.pk).update(**updates)
        if answered_by == "staff" and "JIIMA" in text:
            services.question_to_faq(question=question, actor=staff, faq_question="JIIMA認証は取得していますか。",
                                     faq_answer=answer, tags=["経費精算", "電子帳簿保存法"])


# --------------------------------------------------------------------------- announcements and the roadmap

ANNOUNCEMENTS = [
    # kind, title, body, days ago, min tier rank, early access, target (days from today)
    ("news", "2026年10月 パートナー向け価格表を改定しました",
     "10月1日受注分から新価格表を適用します。主な変更点はワークフローの月額料金（300円→280円）と、2製品セット割引の対象拡大です。"
     "コンテンツライブラリの「価格表（パートナー向け・2026年10月改定）」をご確認ください。", 55, 0, False, None),
    ("news", "クラウド経費精算：電子帳簿保存法の2026年改正に対応しました",
     "改正後の検索要件と、訂正・削除履歴の保存期間の延長に対応しました。顧客向けの説明資料も更新しています。", 38, 0, False, None),
    ("news", "パートナーポータルに「研修」と「コンテンツライブラリ」を公開しました",
     "認定資格の取得、提案書テンプレートや導入事例のダウンロードがポータルからできるようになりました。", 30, 0, False, None),
    ("news", "ゴールド以上のパートナー様へ：共同セミナー支援の募集を開始しました",
     "下期の共同セミナー（MDF）の申請を受け付けています。1社あたり最大100万円まで、会場費と集客費用を支援します。", 14, 3, False, None),
    ("news", "年末年始のサポート窓口の営業について", "12月29日から1月3日まではメールのみの受付となり、1月5日から順次回答します。",
     3, 0, False, None),
    ("roadmap", "ワークフロー：スマートフォンでの承認",
     "外出先からスマートフォンで申請内容を確認し、承認・差し戻しができるようになります。",
     25, 0, False, 40),
    ("roadmap", "人事労務パック：年末調整の電子化（扶養控除等申告書）",
     "従業員がスマートフォンで申告書を提出し、人事部門がまとめて確認できます。",
     20, 0, False, 70),
    ("roadmap", "クラウド勤怠：シフト作成の自動最適化", "店舗・拠点ごとの必要人数と従業員の希望から、シフト案を自動で作成します。",
     10, 0, False, 150),
    ("roadmap", "【先行公開】AIによる経費の自動仕訳",
     "領収書の内容から勘定科目と税区分をAIが提案します。上位ランクのパートナー様には、正式発表前に顧客への先行案内をお願いしています。",
     6, 0, True, 120),
]


def _announcements(admin: User, users: dict[str, User], now: datetime, rng: random.Random) -> None:
    today = timezone.localdate()
    made = []
    for kind, title, body, days, min_rank, early, target in ANNOUNCEMENTS:
        made.append(services.announcement_publish(
            actor=admin, kind=kind, title=title, body=body, min_tier_rank=min_rank, early_access=early,
            target_date=today + timedelta(days=target) if target is not None else None,
            published_at=now - timedelta(days=days, hours=rng.randrange(1, 6))))
    reads = []
    for user in users.values():
        viewer = Viewer.of(user.partner_membership.partner)
        for announcement in made:
            if sees(announcement, viewer) and rng.random() < (0.8 if user.is_partner_admin else 0.5):
                age = (now - announcement.published_at).total_seconds()
                reads.append(AnnouncementRead(announcement=announcement, user=user,
                                              read_at=announcement.published_at + timedelta(seconds=rng.uniform(0, age))))
    AnnouncementRead.objects.bulk_create(reads)


# --------------------------------------------------------------------------- entry point


def seed(*, admin: User, managers: list[User]) -> None:
    if Course.objects.exists():
        return
    rng = random.Random(7)
    now = timezone.now()
    users = {user.email: user for user in User.objects.filter(partner_membership__isnull=False, is_active=True)
             .select_related("partner_membership__partner", "contact").order_by("email")
             if user.partner_membership.partner.is_active}
    certifications = _certifications()
    courses = _courses(certifications)
    _learners(users, courses, now, rng)
    items = _library(admin, now, rng)
    _library_use(items, users, now, rng)
    _sessions(managers, users, now, rng)
    _faq_and_questions(managers, users, now)
    _announcements(admin, users, now, rng)
    services.certifications_remind(now=now)

