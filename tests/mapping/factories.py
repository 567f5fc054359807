from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from deals import services as deal_services
from deals.models import DealRegistration, DirectAccount, Stage
from mapping import services
from mapping.models import CustomerList, ListUpload
from partners.japan import corporate_number_check_digit

HEADER = ["会社名", "法人番号", "メールアドレス", "業種", "従業員数", "都道府県"]


def number(base: int) -> str:
    digits = f"{base:012d}"
    return f"{corporate_number_check_digit(digits)}{digits}"


def csv_bytes(*rows, header=HEADER, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload_list(actor, partner, *rows, population: str = "customers", header=HEADER) -> CustomerList:
    """Through the services, as the pages do: upload, then apply."""
    upload = services.list_upload_create(actor=actor, partner=partner, population=population, filename="list.csv",
                                         raw=csv_bytes(*rows, header=header))
    return services.list_apply(upload=ListUpload.objects.get(pk=upload.pk), actor=actor)


def direct_account(name: str, corporate_number: str = "", domain: str = "", **segment) -> DirectAccount:
    account = DirectAccount(customer_name=name, corporate_number=corporate_number, web_domain=domain, **segment)
    deal_services.apply_keys(account, deal_services.customer_keys_for(name, corporate_number, domain))
    account.save()
    return account


def deal(partner, name: str, *, stage: str = Stage.APPROVED, corporate_number: str = "", domain: str = "",
         amount: int = 1_000_000, **segment) -> DealRegistration:
    record = DealRegistration(partner=partner, customer_name=name, corporate_number=corporate_number, web_domain=domain,
                              amount=amount, expected_close=date.today() + timedelta(days=30), stage=stage, **segment)
    if stage == Stage.WON:
        record.won_amount, record.won_on = amount, date.today()
    deal_services.apply_keys(record, deal_services.customer_keys_for(name, corporate_number, domain))
    record.save()
    return record


def english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
