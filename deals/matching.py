"""Customer matching: are two records the same customer company?

The one rule behind deal-registration conflicts (バッティング), the direct-sales account check,
CSV imports and clean-up (spec: CUSTOMER_MATCHING.md). Pure Python, no models, no database:
callers store the three keys of `customer_keys` in indexed columns, fetch the rows sharing at
least one key and let `same_customer` decide.

- Every value first goes through `clean_text` (partners.names): default-ignorable code points (variation
  selectors, zero-width characters, bidi marks, Hangul fillers …) are dropped and combining
  marks composed, so invisible characters can never make one customer look like two.
- Corporate number (法人番号): decisive when both records have a valid one.
- Name key: `normalise_name` (partners.names). Legal forms, width, case, spacing, punctuation and the usual
  variants of one character go; every other difference stays (サイバー ≠ サイバーエージェント).
- Domain: `registrable_domain`, from a URL, a bare domain or an e-mail address; free-mail,
  ISP and shared-platform domains give None and never match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from partners.japan import is_valid_corporate_number, normalise_corporate_number

# The name normalisation is the matcher's, kept at the floor so that partners' search can read names the same
# way (partners.names); these names are part of the matcher's interface.
from partners.names import DEFAULT_IGNORABLE_RANGES as DEFAULT_IGNORABLE_RANGES
from partners.names import clean_text as clean_text
from partners.names import is_default_ignorable as is_default_ignorable
from partners.names import normalise_name as normalise_name

# --------------------------------------------------------------------------- domains

_PUBLIC_SUFFIX_FILE = Path(__file__).resolve().parent / "matching_data" / "public_suffix_list.dat"

# Platforms where each customer gets its own sub-domain (abc.sakura.ne.jp, abc.wixsite.com):
# the sub-domain is the customer's, so these count as public suffixes.
HOSTING_SUFFIXES = frozenset({
    "sakura.ne.jp", "xsrv.jp", "lolipop.jp", "main.jp", "heteml.net", "jp.net", "fc2.com", "web.fc2.com",
    "blog.fc2.com", "jimdo.com", "jimdofree.com", "jimdosite.com", "wixsite.com", "wordpress.com", "weebly.com",
    "blogspot.com", "hatenablog.com", "hatenablog.jp", "amebaownd.com", "studio.site", "stores.jp", "base.shop",
    "shopinfo.jp", "goope.jp", "webnode.jp", "square.site", "myshopify.com", "github.io", "herokuapp.com",
    "netlify.app", "vercel.app", "pages.dev", "web.app", "firebaseapp.com", "azurewebsites.net", "appspot.com",
})

# Addresses anyone can get: a shared domain says nothing about the company. A listed domain
# and every sub-domain of it (xyz.ocn.ne.jp) give None.
FREE_MAIL_DOMAINS = frozenset({
    # Japanese portals and free mail
    "yahoo.co.jp", "ymail.ne.jp", "excite.co.jp", "goo.jp", "mail.goo.ne.jp", "livedoor.com", "infoseek.jp",
    "freemail.ne.jp", "auone.jp", "rakumail.jp", "hotmail.co.jp", "outlook.jp", "live.jp", "msn.jp", "aol.jp",
    # Japanese mobile carriers
    "docomo.ne.jp", "mopera.net", "spmode.ne.jp", "ezweb.ne.jp", "au.com", "uqmobile.jp", "softbank.ne.jp",
    "i.softbank.jp", "disney.ne.jp", "vodafone.ne.jp", "ymobile.ne.jp", "y-mobile.ne.jp", "ymobile1.ne.jp",
    "emobile.ne.jp", "emnet.ne.jp", "willcom.com", "pdx.ne.jp", "wcm.ne.jp", "mineo.jp", "rakuten.jp",
    "povo.jp", "ahamo.jp", "linemo.jp",
    # Japanese ISPs
    "nifty.com", "nifty.ne.jp", "biglobe.ne.jp", "so-net.ne.jp", "ocn.ne.jp", "plala.or.jp", "dion.ne.jp",
    "odn.ne.jp", "odn.jp", "infoweb.ne.jp", "eonet.ne.jp", "zaq.ne.jp", "zaq.jp", "home.ne.jp", "jcom.zaq.ne.jp",
    "bbexcite.jp", "hi-ho.ne.jp", "asahi-net.or.jp", "dti.ne.jp", "ybb.ne.jp", "wakwak.com", "gol.com",
    "coara.or.jp", "tnc.ne.jp", "ktroad.ne.jp", "cty-net.ne.jp", "tiki.ne.jp", "k-opti.com", "kcn.ne.jp",
    "enjoy.ne.jp", "aikis.or.jp", "sannet.ne.jp", "people.or.jp", "mesh.ne.jp", "pop01.odn.ne.jp",
    "kind.ocn.ne.jp", "mbn.nifty.com", "hotmail.jp", "nttpc.ne.jp", "interq.or.jp", "commufa.jp",
    "bb.excite.co.jp", "tcn.ne.jp", "catv.ne.jp", "itscom.net", "ttcn.ne.jp", "kcom.ne.jp", "mx1.ttcn.ne.jp",
    # international free mail
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.com.tw",
    "yahoo.com.hk", "yahoo.com.sg", "yahoo.com.au", "yahoo.ca", "yahoo.co.in", "yahoo.co.kr", "ymail.com",
    "rocketmail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "live.com",
    "live.co.uk", "msn.com", "passport.com", "icloud.com", "me.com", "mac.com", "aol.com", "aim.com",
    "protonmail.com", "protonmail.ch", "proton.me", "pm.me", "tutanota.com", "tutanota.de", "tuta.io",
    "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "email.com", "zoho.com", "zohomail.com",
    "yandex.com", "yandex.ru", "mail.ru", "fastmail.com", "fastmail.fm", "hushmail.com", "hey.com",
    "duck.com", "inbox.com", "lycos.com", "att.net", "comcast.net", "verizon.net", "sbcglobal.net",
    "btinternet.com", "orange.fr", "free.fr", "wanadoo.fr", "laposte.net", "libero.it", "t-online.de",
    "bigpond.com", "shaw.ca", "rogers.com", "rediffmail.com",
    # China, Korea, Taiwan
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com",
    "aliyun.com", "139.com", "189.cn", "naver.com", "daum.net", "hanmail.net", "kakao.com", "nate.com",
    "pchome.com.tw", "hinet.net",
    # disposable addresses
    "mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com", "sharklasers.com",
})
# Sites where a company has a page rather than a domain (facebook.com/acme, ameblo.jp/acme):
# a link to them says nothing about the company either.
SHARED_PLATFORM_DOMAINS = frozenset({
    "facebook.com", "fb.com", "instagram.com", "twitter.com", "x.com", "linkedin.com", "youtube.com",
    "youtu.be", "tiktok.com", "line.me", "lin.ee", "note.com", "note.jp", "ameblo.jp", "sites.google.com",
    "bit.ly", "goo.gl", "linktr.ee", "peraichi.com", "wix.com", "hatena.ne.jp",
})
NEVER_MATCH_DOMAINS = FREE_MAIL_DOMAINS | SHARED_PLATFORM_DOMAINS

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


@functools.cache
def _public_suffix_rules() -> tuple[frozenset[str], frozenset[str]]:
    """(rules, exceptions) of the vendored Public Suffix List subset plus HOSTING_SUFFIXES."""
    rules: set[str] = set(HOSTING_SUFFIXES)
    exceptions: set[str] = set()
    for line in _PUBLIC_SUFFIX_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("!"):
            exceptions.add(line[1:])
        else:
            rules.add(line)
    return frozenset(rules), frozenset(exceptions)


def _public_suffix_length(labels: list[str]) -> int:
    """How many trailing labels form the public suffix (the PSL algorithm; default rule "*")."""
    rules, exceptions = _public_suffix_rules()
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in exceptions:
            return len(labels) - start - 1
        if candidate in rules or (start + 1 < len(labels) and "*." + ".".join(labels[start + 1:]) in rules):
            return len(labels) - start
    return 1


def _host(value: str) -> str | None:
    text = clean_text(value).strip()
    if "<" in text and ">" in text:  # "Taro Yamada <taro@example.co.jp>"
        text = text[text.index("<") + 1: text.index(">", text.index("<"))]
    text = text.strip()
    if not text:
        return None
    if re.match(r"^mailto:", text, re.IGNORECASE):
        text = text[len("mailto:"):]
    if "://" in text:
        try:
            host = urlsplit(text).hostname
        except ValueError:
            return None
    else:
        tokens = [token for token in re.split(r"[\s,;]+", text) if token]  # "山田 taro@x.co.jp, hanako@…"
        text = next((token for token in tokens if "@" in token), tokens[0] if tokens else "").lstrip("/")
        text = re.split(r"[/?#]", text, maxsplit=1)[0]
        host = text.rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host or None


def registrable_domain(value: str) -> str | None:
    """The domain a company registered, from a URL, a bare domain or an e-mail address.

    "https://www.sales.example.co.jp/x", "example.co.jp" and "taro@tokyo.example.co.jp" all
    give "example.co.jp". Free-mail, ISP and shared-platform domains, IP addresses, bare
    public suffixes and anything that is not a host name give None.
    """
    host = _host(value)
    if host is None:
        return None
    host = host.strip(".").lower()
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    suffix_length = _public_suffix_length(labels)
    if suffix_length >= len(labels):
        return None
    registrable = labels[-suffix_length - 1:]
    for start in range(len(labels) - len(registrable) + 1):
        if ".".join(labels[start:]) in NEVER_MATCH_DOMAINS:
            return None
    return ".".join(registrable)


# --------------------------------------------------------------------------- keys and the rule


@dataclass(frozen=True)
class CustomerKeys:
    """What the database stores and indexes for one customer record."""

    name_key: str
    corporate_number: str | None
    domain: str | None


def clean_corporate_number(value: str) -> str | None:
    """The 13 digits of a valid 法人番号 (full width, spaces and hyphens allowed), else None."""
    number = normalise_corporate_number(clean_text(value))
    return number if is_valid_corporate_number(number) else None


def customer_keys(name: str, corporate_number: str, email_or_domain: str) -> CustomerKeys:
    return CustomerKeys(
        name_key=normalise_name(name),
        corporate_number=clean_corporate_number(corporate_number),
        domain=registrable_domain(email_or_domain),
    )


def same_customer(a: CustomerKeys, b: CustomerKeys) -> bool:
    """The spec's rule. When both have a valid corporate number it alone decides; otherwise
    equal non-empty name keys or equal domains make the same customer."""
    if a.corporate_number and b.corporate_number:
        return a.corporate_number == b.corporate_number
    return bool(a.name_key and a.name_key == b.name_key) or bool(a.domain and a.domain == b.domain)


# --------------------------------------------------------------------------- groups


def group_records(records: Iterable[tuple[str, CustomerKeys]]) -> list[list[str]]:
    """Groups of ids judged to be the same customer, without comparing all pairs.

    A group is the transitive closure of the pairs `same_customer` accepts. Pairs are judged
    one by one, so a chain can join records whose corporate numbers differ: A (number 1) and
    C (number 2) share a name with B, which has no number; A~B and B~C, so A, B and C form one
    group although A and C alone would not. That is deliberate: B could be either company, and
    the clean-up operator must look at all three.

    Records are bucketed by each key and joined with union-find, which gives exactly that
    closure in linear time: everyone with one corporate number is pairwise the same; inside a
    name or domain bucket, every pair involving a record without a number matches, so if the
    bucket has such a record the whole bucket is connected through it, and if it has none only
    equal numbers match, which the number buckets already joined.

    Ids must be unique. Groups of one are left out; ids in a group and the groups themselves
    are in plain string order ("10" < "9"), as `sorted` gives.
    """
    ids: list[str] = []
    numbered: list[bool] = []
    buckets: dict[tuple[str, str], list[int]] = {}
    for record_id, keys in records:
        index = len(ids)
        ids.append(record_id)
        numbered.append(bool(keys.corporate_number))
        for kind, key in (("c", keys.corporate_number), ("n", keys.name_key), ("d", keys.domain)):
            if key:
                buckets.setdefault((kind, key), []).append(index)
    if len(set(ids)) != len(ids):
        raise ValueError("group_records needs unique ids")

    parent = list(range(len(ids)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for (kind, _key), members in buckets.items():
        if len(members) < 2:
            continue
        if kind != "c" and all(numbered[index] for index in members):
            continue
        first = root(members[0])
        for index in members[1:]:
            other = root(index)
            if other != first:
                parent[other] = first

    groups: dict[int, list[str]] = {}
    for index, record_id in enumerate(ids):
        groups.setdefault(root(index), []).append(record_id)
    return sorted(sorted(members) for members in groups.values() if len(members) > 1)
