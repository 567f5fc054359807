"""The demo vendor's data. Later modules add their own sections; keep it realistic."""

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kyoso-demo-2026"
DEMO_VENDOR_NAME = "株式会社ミライクラウド"
DEMO_BRAND_COLOUR = "#0b6bcb"
# A fixed TOTP secret so the demo admin can sign in; never do this for a real vendor.
DEMO_ADMIN_TOTP_SECRET = "KYOSODEMOADMINTOTPSECRETJBSWY3DP"

STAFF = [
    # email, full name, kana, role
    ("admin@demo.kyoso.example", "佐藤 健一", "サトウ ケンイチ", "vendor_admin"),
    ("suzuki@demo.kyoso.example", "鈴木 美咲", "スズキ ミサキ", "channel_manager"),
    ("takahashi@demo.kyoso.example", "高橋 大輔", "タカハシ ダイスケ", "channel_manager"),
]

PARTNERS = [
    # name, kana, type
    ("株式会社さくらシステムズ", "サクラシステムズ", "resale"),
    ("東和ソリューションズ株式会社", "トウワソリューションズ", "solution"),
    ("株式会社北斗情報サービス", "ホクトジョウホウサービス", "distributor"),
    ("株式会社みなと商事", "ミナトショウジ", "resale"),
    ("合同会社ネクストリンク", "ネクストリンク", "referral"),
    ("株式会社アオバITパートナーズ", "アオバアイティーパートナーズ", "agency"),
    ("税理士法人中央会計", "チュウオウカイケイ", "referral"),
    ("株式会社ひかりネットワークス", "ヒカリネットワークス", "resale"),
    ("株式会社九州デジタル", "キュウシュウデジタル", "distributor"),
    ("株式会社はかたテック", "ハカタテック", "resale"),
    ("株式会社ミドリ総研", "ミドリソウケン", "solution"),
    ("株式会社大阪ビジネスサポート", "オオサカビジネスサポート", "agency"),
    ("株式会社コスモ電子", "コスモデンシ", "oem"),
    ("株式会社ワークスタイル研究所", "ワークスタイルケンキュウジョ", "alliance"),
    ("株式会社札幌クラウドサービス", "サッポロクラウドサービス", "resale"),
    ("株式会社いろは経営コンサルティング", "イロハケイエイコンサルティング", "referral"),
    ("株式会社シンセイ情報システム", "シンセイジョウホウシステム", "solution"),
    ("株式会社名古屋オフィスソリューション", "ナゴヤオフィスソリューション", "resale"),
    ("株式会社アスカ・データ", "アスカデータ", "agency"),
    ("株式会社ユニバーサル人事", "ユニバーサルジンジ", "referral"),
    ("株式会社フジミ通信", "フジミツウシン", "resale"),
    ("株式会社ベイサイドシステム", "ベイサイドシステム", "solution"),
    ("株式会社トライアングル", "トライアングル", "referral"),
    ("株式会社仙台ITサービス", "センダイアイティーサービス", "resale"),
    ("株式会社ゼニス会計システム", "ゼニスカイケイシステム", "oem"),
    ("株式会社サンライズ・マーケティング", "サンライズマーケティング", "alliance"),
    ("株式会社広島ビジネスマシン", "ヒロシマビジネスマシン", "resale"),
    ("有限会社やまびこ事務機", "ヤマビコジムキ", "agency"),
    ("株式会社ソラリス・コンサルティング", "ソラリスコンサルティング", "referral"),
    ("株式会社京都システム開発", "キョウトシステムカイハツ", "solution"),
]

PARTNER_USERS = [
    # email, full name, kana, role, partner name
    ("tanaka@sakura-systems.example", "田中 陽子", "タナカ ヨウコ", "partner_admin", "株式会社さくらシステムズ"),
    ("yamada@sakura-systems.example", "山田 翔太", "ヤマダ ショウタ", "partner_rep", "株式会社さくらシステムズ"),
    ("ito@sakura-systems.example", "伊藤 彩", "イトウ アヤ", "partner_rep", "株式会社さくらシステムズ"),
    ("kobayashi@hokuto-is.example", "小林 誠", "コバヤシ マコト", "partner_admin", "株式会社北斗情報サービス"),
    ("watanabe@hokuto-is.example", "渡辺 直樹", "ワタナベ ナオキ", "partner_rep", "株式会社北斗情報サービス"),
    ("nakamura@nextlink.example", "中村 優", "ナカムラ ユウ", "partner_admin", "合同会社ネクストリンク"),
    ("kato@towa-sol.example", "加藤 由美", "カトウ ユミ", "partner_admin", "東和ソリューションズ株式会社"),
]

# Made by demo.health after the other modules, with a year of portal sign-ins: people who signed in a
# lot, who stopped signing in, and reps who never have (the health card's "resend the invitation").
HEALTH_USERS = [
    # email, full name, kana, role, partner name
    ("matsuda@kyushu-digital.example", "松田 健二", "マツダ ケンジ", "partner_admin", "株式会社九州デジタル"),
    ("nishida@kyushu-digital.example", "西田 彩花", "ニシダ アヤカ", "partner_rep", "株式会社九州デジタル"),
    ("mori@workstyle-lab.example", "森 雅之", "モリ マサユキ", "partner_admin", "株式会社ワークスタイル研究所"),
    ("ishikawa@chuo-kaikei.example", "石川 恵子", "イシカワ ケイコ", "partner_admin", "税理士法人中央会計"),
    ("ueda@osaka-bs.example", "上田 浩二", "ウエダ コウジ", "partner_admin", "株式会社大阪ビジネスサポート"),
    ("fujiwara@osaka-bs.example", "藤原 拓海", "フジワラ タクミ", "partner_rep", "株式会社大阪ビジネスサポート"),
    ("sakai@towa-sol.example", "酒井 悠斗", "サカイ ユウト", "partner_rep", "東和ソリューションズ株式会社"),
    ("hirano@towa-sol.example", "平野 葵", "ヒラノ アオイ", "partner_rep", "東和ソリューションズ株式会社"),
    ("okamoto@kyoto-sysdev.example", "岡本 真由美", "オカモト マユミ", "partner_admin", "株式会社京都システム開発"),
    ("shimizu@hikari-net.example", "清水 隆", "シミズ タカシ", "partner_admin", "株式会社ひかりネットワークス"),
    ("kondo@bayside-sys.example", "近藤 里奈", "コンドウ リナ", "partner_admin", "株式会社ベイサイドシステム"),
]
