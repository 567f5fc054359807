"""Demo account mapping: the vendor's target accounts and さくらシステムズ' customer list.

The partner's list overlaps every vendor population (a direct-sales account, customers other
partners won or are working, target accounts), so the matrix, the drill-downs and the target
list all have something to show. Uploaded through the same services as a real file.
"""

from __future__ import annotations

from deals.models import DealRegistration, DirectAccount, Stage
from demo import data as demo
from mapping import services
from mapping.models import CustomerList, PartnerPopulation, Sharing, VendorPopulation
from partners.models import Partner
from prm.accounts.models import User

HEADER = "会社名,ドメイン,業種,従業員規模,都道府県"
# On the vendor's target list and on the partner's customer list.
SHARED_TARGETS = [
    ("株式会社相模原精工", "sagamihara-seiko.co.jp", "E", "100-299", "神奈川県"),
    ("株式会社多摩ロジスティクス", "tama-logi.co.jp", "H", "300-999", "東京都"),
    ("株式会社湘南メディカル", "shonan-medical.jp", "P", "50-99", "神奈川県"),
    ("株式会社甲府ワイナリー", "kofu-winery.co.jp", "E", "10-49", "山梨県"),
]
# On the vendor's target list only: the partner never sees these.
VENDOR_ONLY_TARGETS = [
    ("株式会社仙台テクノサービス", "sendai-techno.co.jp", "G", "100-299", "宮城県"),
    ("株式会社福岡ベイフーズ", "fukuoka-bayfoods.co.jp", "E", "300-999", "福岡県"),
    ("株式会社金沢工芸", "kanazawa-kogei.jp", "E", "10-49", "石川県"),
]
# The partner's own customers nobody else knows.
PARTNER_ONLY = [
    ("株式会社川越フードサプライ", "kawagoe-food.co.jp", "I", "50-99", "埼玉県"),
    ("株式会社千葉ケミカル", "chiba-chemical.co.jp", "E", "300-999", "千葉県"),
    ("株式会社横須賀マリン", "yokosuka-marine.jp", "H", "10-49", "神奈川県"),
    ("株式会社八王子システム開発", "hachioji-sys.co.jp", "G", "50-99", "東京都"),
    ("株式会社つくば研究所", "tsukuba-lab.jp", "L", "100-299", "茨城県"),
    ("株式会社宇都宮建材", "utsunomiya-kenzai.co.jp", "D", "100-299", "栃木県"),
    ("株式会社前橋ケアサービス", "maebashi-care.jp", "P", "300-999", "群馬県"),
    ("株式会社所沢不動産", "tokorozawa-re.co.jp", "K", "10-49", "埼玉県"),
]


def _csv(rows) -> bytes:
    lines = [HEADER] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(*, actor: User, partner: Partner | None, population: str, filename: str, rows) -> CustomerList:
    upload = services.list_upload_create(actor=actor, partner=partner, population=population, filename=filename,
                                         raw=_csv(rows))
    return services.list_apply(upload=upload, actor=actor)


def seed(*, admin: User, managers: list[User]) -> None:
    if CustomerList.objects.exists():
        return
    partner_admin_email, *_rest, partner_name = demo.PARTNER_USERS[0]
    partner = Partner.objects.get(name=partner_name)
    partner_admin = User.objects.get(email=partner_admin_email)
    # Customers the vendor already has: a direct-sales account and deals of other partners.
    known = [(account.customer_name, account.web_domain, "", "", "")
             for account in DirectAccount.objects.exclude(web_domain="").order_by("pk")[:1]]
    for stage in (Stage.WON, Stage.NEGOTIATION):
        known += [(deal.customer_name, deal.web_domain, "", "", "")
                  for deal in DealRegistration.objects.filter(stage=stage).exclude(partner=partner)
                  .exclude(web_domain="").order_by("pk")[:2]]
    _upload(actor=managers[0], partner=None, population=VendorPopulation.TARGETS, filename="ターゲットアカウント.csv",
            rows=SHARED_TARGETS + VENDOR_ONLY_TARGETS)
    services.sharing_set(actor=managers[0], partner=None, population=VendorPopulation.TARGETS, level=Sharing.NAMES)
    _upload(actor=partner_admin, partner=partner, population=PartnerPopulation.CUSTOMERS, filename="顧客リスト.csv",
            rows=known + SHARED_TARGETS + PARTNER_ONLY)
    services.sharing_set(actor=partner_admin, partner=partner, population=PartnerPopulation.CUSTOMERS,
                         level=Sharing.NAMES)
