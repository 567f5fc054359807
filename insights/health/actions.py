"""Next best actions for a channel manager, derived from a partner's data (partner detail page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners.models import Partner
from partners.selectors import contact_account_counts


@dataclass(frozen=True)
class Action:
    text: str
    url: str = ""
    icon: str = "lightning"


def next_best_actions(partner: Partner, *, limit: int = 5) -> list[Action]:
    """What would help this partner most now, most urgent first; a fixed number of queries."""
    from deals import selectors as deals
    from enablement import selectors as enablement

    now = timezone.now()
    actions: list[Action] = []
    counts = contact_account_counts([partner.pk]).get(partner.pk, {"never": 0, "no_account": 0, "total": 0})
    if counts["never"]:
        actions.append(Action(ngettext("%(n)s rep has never signed in — resend the invitation.",
                                       "%(n)s reps have never signed in — resend their invitations.",
                                       counts["never"]) % {"n": counts["never"]},
                              reverse("partner_detail", kwargs={"pk": partner.pk}) + "#contacts", "envelope"))
    if counts["no_account"]:
        actions.append(Action(ngettext("%(n)s contact has no portal account — invite them.",
                                       "%(n)s contacts have no portal account — invite them.",
                                       counts["no_account"]) % {"n": counts["no_account"]},
                              reverse("partner_detail", kwargs={"pk": partner.pk}) + "#contacts", "person-plus"))
    last = deals.last_registration([partner.pk]).get(partner.pk)
    if last is None:
        actions.append(Action(_("No deal registered yet — plan a study session with a “register your leads now” step."),
                              reverse("enablement_session_create"), "calendar-event"))
    elif now - last > timedelta(days=60):
        actions.append(Action(_("No deal registered for %(days)s days — book a pipeline review (定例会).") % {
            "days": (now - last).days}, reverse("activity_create", kwargs={"pk": partner.pk}), "telephone"))
    expiring = enablement.certifications_expiring_between([partner.pk], now, now + timedelta(days=30)).get(
        partner.pk, 0)
    if expiring:
        actions.append(Action(ngettext("%(n)s certification expires within 30 days — remind the holder to renew.",
                                       "%(n)s certifications expire within 30 days — remind the holders to renew.",
                                       expiring) % {"n": expiring}, "", "patch-exclamation"))
    # Certified reps as every screen counts them (enablement owns the figure); "yet" only when nobody ever
    # earned one, since the onboarding item 「認定資格の取得」 stays ticked after a certification expires.
    certified = enablement.reps_with_valid_certification([partner.pk], now).get(partner.pk, 0)
    if counts["total"] and certified == 0:
        if enablement.first_certifications([partner.pk]).get(partner.pk) is None:
            actions.append(Action(_("Nobody is certified yet — invite the reps to the basic course."),
                                  reverse("enablement_courses"), "mortarboard"))
        else:
            actions.append(Action(_("No rep holds a valid certification any more — invite them to renew it."),
                                  reverse("enablement_courses"), "mortarboard"))
    today = timezone.localdate()
    stale = deals.registrations_expiring_between([partner.pk], today, today + timedelta(days=14)).get(partner.pk, 0)
    if stale:
        actions.append(Action(ngettext("%(n)s registration expires within 14 days — follow up or extend it.",
                                       "%(n)s registrations expire within 14 days — follow up or extend them.",
                                       stale) % {"n": stale}, reverse("deal_pipeline") + f"?partner={partner.pk}",
                              "hourglass-split"))
    return actions[:limit]
