"""Senders, domains, templates, campaign drafts and the campaigns the demo account sent.

:func:`plan_campaigns` decides what was sent, when, from whom and to which list, as
:class:`CampaignPlan` objects the message simulation follows; the API rows of drafts and
templates and their content are built here too, while campaign rows wait for the messages
(``FirstMessageID``, ``SendStartAt``, ``SendEndAt`` come from them).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from mjquery.sandbox.demo import vocab
from mjquery.sandbox.demo.people import Audience
from mjquery.sandbox.demo.reference import rfc3339, row

DAY = 86400

MARKETING, TRANSACTIONAL = 2, 1  # campaign CampaignType values

# (email, name, email type, status, is default)
_SENDERS = (
    (f"news@{vocab.COMPANY_DOMAIN}", "Kestrel News", "bulk", "Active", False),
    (f"hello@{vocab.COMPANY_DOMAIN}", "Kestrel Coffee", "bulk", "Active", True),
    (f"orders@{vocab.COMPANY_DOMAIN}", "Kestrel Orders", "transactional", "Active", False),
    (f"partners@{vocab.COMPANY_DOMAIN}", "Kestrel Wholesale", "bulk", "Active", False),
    (f"*@{vocab.COMPANY_DOMAIN}", "", "unknown", "Active", False),
    ("events@kestrel-events.test", "Kestrel Events", "unknown", "Inactive", False),
)
SENDER_NEWS, SENDER_HELLO, SENDER_ORDERS, SENDER_PARTNERS = 0, 1, 2, 3

# (name, purpose, edit mode, categories)
_TEMPLATES: tuple[tuple[str, str, int, list[str]], ...] = (
    ("Monthly newsletter", "marketing", 4, ["newsletter"]),
    ("Promotion banner", "marketing", 1, ["promotion"]),
    ("Workshop invitation", "marketing", 2, ["events"]),
    ("Partner price list", "marketing", 2, ["wholesale"]),
    ("Holiday gift guide", "marketing", 1, ["promotion", "seasonal"]),
    ("Order confirmation", "transactional", 2, ["orders"]),
    ("Shipping update", "transactional", 2, ["orders"]),
    ("Password reset", "transactional", 2, ["account"]),
    ("Welcome email", "automation", 4, ["onboarding"]),
    ("Plain text announcement", "marketing", 2, []),
)
TEMPLATE_FOR_KIND = {
    "newsletter": 0,
    "customers": 1,
    "members": 0,
    "workshop": 2,
    "partners": 3,
    "promo": 4,
}
_EDIT_MODE_NAME = {1: "tool2", 2: "html2", 3: "tool2", 4: "mjml"}


@dataclass
class CampaignPlan:
    """One campaign as the simulation sends it. ``index`` is its position in ``Catalogue.campaigns``."""

    index: int
    kind: str  # newsletter | transactional | workflow
    subject: str
    sender: int
    created_at: int
    send_at: int  # marketing: when sending starts; others: when the traffic starts
    list_index: int = -1
    draft_id: int = 0
    template: int = -1
    custom_value: str = ""
    segment: int = -1  # index into Catalogue.contactfilters
    country_filter: str = ""  # the segment's rule, applied by the simulation
    links: list[tuple[int, str]] = field(default_factory=list)
    share: int = 0  # transactional: weight of this stream in the transactional traffic
    text_part: bool = True
    starred: bool = False
    deleted: bool = False
    spam_score: float = 0.0
    id: int = 0  # assigned once all campaigns are known (ids grow with CreatedAt)


@dataclass
class Catalogue:
    """Everything campaign-related that the simulation and the statistics need."""

    senders: list[dict[str, Any]]
    dns: list[dict[str, Any]]
    templates: list[dict[str, Any]]
    template_content: dict[int, dict[str, Any]]
    drafts: list[dict[str, Any]]
    draft_content: dict[int, dict[str, Any]]
    draft_schedule: dict[int, dict[str, Any]]
    contactfilters: list[dict[str, Any]]
    campaigns: list[CampaignPlan]
    workflow_id: int
    workflow_started: int


def _html(subject: str, links: list[tuple[int, str]], signature: str) -> str:
    anchors = "".join(f'<p><a href="{url}">{_anchor_text(url)}</a></p>' for _link_id, url in links)
    return (
        f'<html><body><h1>{subject}</h1><p>Hello [[data:firstname:"there"]],</p>{anchors}'
        f'<p>{signature}</p><p><a href="[[UNSUB_LINK_EN]]">Unsubscribe</a></p></body></html>'
    )


def _text(subject: str, links: list[tuple[int, str]], signature: str) -> str:
    lines = "\n".join(f"{_anchor_text(url)}: {url}" for _link_id, url in links)
    return f'{subject}\n\nHello [[data:firstname:"there"]],\n\n{lines}\n\n{signature}\nUnsubscribe: [[UNSUB_LINK_EN]]'


def _anchor_text(url: str) -> str:
    path = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return path.replace("-", " ").capitalize() or "Visit the shop"


def _content(
    subject: str, links: list[tuple[int, str]], sender: tuple[Any, ...], mjml: bool, text: bool
) -> dict[str, Any]:
    signature = f"The {vocab.COMPANY} team"
    html = _html(subject, links, signature)
    return {
        "Headers": {
            "From": f"{sender[1] or vocab.COMPANY} <{sender[0]}>",
            "Subject": subject,
            "Reply-To": f"hello@{vocab.COMPANY_DOMAIN}",
        },
        "Html-part": html,
        "Text-part": _text(subject, links, signature) if text else None,
        "MJMLContent": f"<mjml><mj-body><mj-section><mj-column><mj-text>{subject}</mj-text></mj-column></mj-section></mj-body></mjml>"
        if mjml
        else None,
    }


def plan_campaigns(
    rng: random.Random, audience: Audience, user_id: int, start: int, now: int
) -> Catalogue:
    """Senders, templates, drafts (sent, programmed, draft, archived) and every campaign's plan."""
    dns_company, dns_events = 325867200 + rng.randrange(100), 325867400 + rng.randrange(100)
    # domain ownership tokens: 32 hex digits derived from the domain (the seeded draws stay as they were)
    token_company, token_events = (
        hashlib.blake2b(f"ownership:{domain}".encode(), digest_size=16).hexdigest()
        for domain in (vocab.COMPANY_DOMAIN, "kestrel-events.test")
    )
    dns = [
        row(
            "dns",
            DKIMRecordName=f"mailjet._domainkey.{vocab.COMPANY_DOMAIN}",
            DKIMRecordValue="k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDk3xq2",
            DKIMStatus="OK",
            Domain=vocab.COMPANY_DOMAIN,
            ID=dns_company,
            IsCheckInProgress=False,
            LastCheckAt=rfc3339(now - 2 * DAY - 3600),
            OwnerShipToken=token_company,
            OwnerShipTokenRecordName=f"mailjet._{token_company[:8]}.{vocab.COMPANY_DOMAIN}",
            SPFRecordValue="v=spf1 include:spf.mailjet.com ?all",
            SPFStatus="OK",
        ),
        row(
            "dns",
            DKIMRecordName="mailjet._domainkey.kestrel-events.test",
            DKIMRecordValue="k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC9a7",
            DKIMStatus="Not Checked",
            Domain="kestrel-events.test",
            ID=dns_events,
            IsCheckInProgress=False,
            LastCheckAt="",
            OwnerShipToken=token_events,
            OwnerShipTokenRecordName=f"mailjet._{token_events[:8]}.kestrel-events.test",
            SPFRecordValue="",
            SPFStatus="Not Checked",
        ),
    ]
    senders = []
    sender_id = 46900 + rng.randrange(50)
    for index, (email, name, email_type, sender_status, default) in enumerate(_SENDERS):
        sender_id += 1 + rng.randrange(30)
        senders.append(
            row(
                "sender",
                CreatedAt=rfc3339(start + (1 + 90 * index) * DAY + rng.randrange(DAY)),
                DNSID=dns_events if "events" in email else dns_company,
                Email=email,
                EmailType=email_type,
                Filename="9e8d7c6b5a4f3e2d.txt" if sender_status == "Inactive" else "",
                ID=sender_id,
                IsDefaultSender=default,
                Name=name,
                Status=sender_status,
            )
        )

    templates, template_content = [], {}
    template_id = 1715700 + rng.randrange(40)
    for index, (name, purpose, template_mode, categories) in enumerate(_TEMPLATES):
        template_id += 1 + rng.randrange(25)
        created = start + (10 + 75 * index) * DAY + rng.randrange(DAY)
        updated = created + rng.randrange(40 * DAY)
        templates.append(
            row(
                "template",
                Author=vocab.COMPANY,
                Categories=categories,
                Copyright=f"© {vocab.COMPANY}",
                Description=f"{name} ({purpose})",
                EditMode=template_mode,
                ID=template_id,
                IsStarred=index in (0, 5),
                Locale="en_US",
                Name=name,
                OwnerId=user_id,
                OwnerType="apikey",
                Presets="",
                Previews=[],
                Purposes=[purpose],
                IsTextPartGenerationEnabled=template_mode != 4,
                CreatedAt=rfc3339(created),
                LastUpdatedAt=rfc3339(min(updated, now - DAY)),
                LocaleList=["en_US"],
            )
        )
        sender = _SENDERS[SENDER_ORDERS if purpose == "transactional" else SENDER_NEWS]
        links = [(0, f"{vocab.SITE}{path}") for path in vocab.LINK_PATHS[index % 5 : index % 5 + 2]]
        template_content[template_id] = _content(
            name, links, sender, template_mode == 4, purpose != "marketing" or index % 2 == 0
        )

    contactfilters = [
        row(
            "contactfilter",
            Description="Contacts whose country property is France.",
            Expression='(country="FR")',
            ID=5329 + rng.randrange(10),
            Name="French customers",
            Status="used",
        ),
        row(
            "contactfilter",
            Description="Paying plans only.",
            Expression='(plan="pro") OR (plan="enterprise")',
            ID=5341 + rng.randrange(10),
            Name="Pro and enterprise plans",
            Status="unused",
        ),
        row(
            "contactfilter",
            Description="More than three orders.",
            Expression="(total_orders>3)",
            ID=5356 + rng.randrange(10),
            Name="Loyal buyers",
            Status="unused",
        ),
    ]

    lists = audience.lists
    by_kind: dict[str, list[int]] = {}
    for list_index, mlist in enumerate(lists):
        by_kind.setdefault(mlist.kind, []).append(list_index)

    # The sending calendar: one sent campaign roughly every 3-4 weeks over the last year, plus an
    # old holiday promotion to a list that was deleted since.
    rotation = (
        "newsletter",
        "customers",
        "newsletter",
        "members",
        "newsletter",
        "workshop",
        "newsletter",
        "customers",
        "partners",
        "newsletter",
        "members",
        "newsletter",
        "customers",
        "newsletter",
    )
    newsletter_subjects = iter(vocab.NEWSLETTER_SUBJECTS)
    promo_subjects = iter(vocab.PROMO_SUBJECTS)
    marketing: list[CampaignPlan] = []
    link_id = 12300 + rng.randrange(100)

    def links_for(slug: str, count: int) -> list[tuple[int, str]]:
        nonlocal link_id
        out = []
        for path in rng.sample(vocab.LINK_PATHS, count):
            link_id += 1
            out.append(
                (
                    link_id,
                    f"{vocab.SITE}{path}?utm_source=mailjet&utm_medium=email&utm_campaign={slug}",
                )
            )
        return out

    def subject_for(kind: str) -> str:
        if kind in ("newsletter", "members"):
            return next(newsletter_subjects, "News from the roastery")
        if kind in ("customers", "promo"):
            return next(promo_subjects, "A little something for you")
        if kind == "workshop":
            return rng.choice(vocab.WORKSHOP_SUBJECTS)
        return rng.choice(vocab.PARTNER_SUBJECTS)

    schedule: list[tuple[str, int, int]] = []  # (kind, list index, send time)
    promo_list = by_kind["promo"][0]
    schedule.append(("promo", promo_list, now - 660 * DAY))
    for position, kind in enumerate(rotation):
        schedule.append((kind, by_kind[kind][0], now - (365 - 25 * position) * DAY))
    for extra_position, list_index in enumerate(by_kind["workshop"][1:]):
        schedule.append(("workshop", list_index, now - (80 - 7 * extra_position) * DAY))
    schedule.sort(key=lambda item: item[2])

    for kind, list_index, day in schedule:
        send_at = day - day % DAY + 8 * 3600 + rng.randrange(3 * 3600)
        subject = subject_for(kind)
        sender_choice = (
            SENDER_PARTNERS
            if kind == "partners"
            else (SENDER_NEWS if kind in ("newsletter", "members", "workshop") else SENDER_HELLO)
        )
        plan = CampaignPlan(
            index=0,
            kind="newsletter",
            subject=subject,
            sender=sender_choice,
            created_at=send_at,
            send_at=send_at,
            list_index=list_index,
            template=TEMPLATE_FOR_KIND[kind],
            starred=rng.random() < 0.2,
            spam_score=round(rng.uniform(0.0, 1.8), 1),
            text_part=kind != "customers",
        )
        plan.links = links_for(f"{kind}-{rfc3339(send_at)[:10]}", 3 + rng.randrange(2))
        marketing.append(plan)
    # One promotion went to a segment of the customers list only.
    for plan in marketing:
        if lists[plan.list_index].kind == "customers":
            plan.segment, plan.country_filter = 0, "FR"
            break
    # One old campaign was deleted from the statistics view.
    marketing[1].deleted = True

    workflow_started = now - 300 * DAY + rng.randrange(DAY)
    others = [
        CampaignPlan(
            index=0,
            kind="transactional",
            subject=subject,
            sender=SENDER_ORDERS,
            created_at=start + 30 * DAY + rng.randrange(DAY),
            send_at=now - 365 * DAY,
            template=5 + position,
            custom_value=tag,
            share=share,
            spam_score=0.0,
            links=[(0, f"{vocab.SITE}/account/orders")],
        )
        for position, (tag, subject, _template, share) in enumerate(vocab.TRANSACTIONAL)
    ]
    others.append(
        CampaignPlan(
            index=0,
            kind="workflow",
            subject=f"Welcome to {vocab.COMPANY}",
            sender=SENDER_HELLO,
            created_at=workflow_started,
            send_at=workflow_started,
            list_index=by_kind["newsletter"][0],
            template=8,
            spam_score=0.3,
            links=links_for("welcome", 2),
        )
    )

    campaigns = sorted(marketing + others, key=lambda plan: plan.created_at)
    campaign_id = 7390600 + rng.randrange(100)
    for index, plan in enumerate(campaigns):
        campaign_id += 1 + rng.randrange(400)
        plan.index, plan.id = index, campaign_id
    workflow_id = 81200 + rng.randrange(100)

    # Drafts: every marketing campaign came from one; a few more are in progress.
    drafts, draft_content, draft_schedule = [], {}, {}
    draft_id = 44000 + rng.randrange(80)
    unsent = [
        (0, "Winter blends preview", "newsletter", now + 2 * DAY + 9 * 3600),  # programmed
        (0, "Draft: loyalty programme launch", "customers", 0),
        (0, "Draft: cold brew season", "newsletter", 0),
        (0, "Workshop dates for next spring", "workshop", 0),
        (0, "Untitled draft", "newsletter", 0),
        (-1, "Summer sale (cancelled)", "customers", 0),
    ]
    entries: list[tuple[int, Any]] = [
        (plan.created_at - (2 + rng.randrange(5)) * DAY, plan) for plan in marketing
    ]
    for position, spec in enumerate(unsent):
        entries.append((now - (40 - 6 * position) * DAY - rng.randrange(DAY), spec))
    entries.sort(key=lambda item: item[0])
    for created, entry in entries:
        draft_id += 1 + rng.randrange(20)
        if isinstance(entry, CampaignPlan):
            plan = entry
            plan.draft_id = draft_id
            plan.custom_value = f"mj.nl={draft_id}"
            kind = lists[plan.list_index].kind
            status, subject, title = 2, plan.subject, plan.subject
            list_id = lists[plan.list_index].id
            delivered, campaign_ref, used, links = rfc3339(plan.send_at), plan.id, True, plan.links
            modified = plan.send_at - rng.randrange(3600, 20 * 3600)
            url = f"https://{format(draft_id * 7919 % 46656, 'x')}.mjt.example/nl3/{format(draft_id, 'x')}.html"
            template_index, segment = plan.template, plan.segment
            sender_index, text_part, starred = plan.sender, plan.text_part, plan.starred
        else:
            status, title, kind, schedule_at = entry
            subject = title.replace("Draft: ", "").capitalize() if status != -1 else title
            list_id = lists[by_kind[kind][0]].id if title != "Untitled draft" else 0
            delivered, campaign_ref, used, url, segment = "", 0, False, "", -1
            if schedule_at:
                status = 1
            modified = created + rng.randrange(1, 4) * 3600 if title != "Untitled draft" else 0
            template_index = TEMPLATE_FOR_KIND[kind]
            sender_index, text_part, starred = SENDER_NEWS, True, False
            links = [(0, f"{vocab.SITE}{vocab.LINK_PATHS[draft_id % len(vocab.LINK_PATHS)]}")]
        template_row = templates[template_index]
        sender = _SENDERS[sender_index]
        edit_mode = _EDIT_MODE_NAME[template_row["EditMode"]]
        drafts.append(
            row(
                "campaigndraft",
                AXFraction=0.0,
                AXFractionName="",
                AXTesting=None,
                CampaignID=campaign_ref,
                ContactsListID=list_id,
                CreatedAt=rfc3339(created),
                Current=0 if title == "Untitled draft" else 32100000 + draft_id,
                DeliveredAt=delivered,
                EditMode=edit_mode,
                ID=draft_id,
                IsStarred=starred,
                IsTextPartIncluded=text_part,
                Locale="en_US",
                ModifiedAt=rfc3339(modified),
                Preset="",
                ReplyEmail=f"hello@{vocab.COMPANY_DOMAIN}" if sender_index != SENDER_HELLO else "",
                SegmentationID=contactfilters[segment]["ID"] if segment >= 0 else 0,
                Sender=sender[1],
                SenderEmail=sender[0],
                SenderName=vocab.COMPANY,
                Status=status,
                Subject=subject if title != "Untitled draft" else "",
                TemplateID=template_row["ID"],
                Title=title,
                Url=url,
                Used=used,
            )
        )
        if title != "Untitled draft":
            draft_content[draft_id] = _content(
                subject, links, sender, edit_mode == "mjml", text_part
            )
        if status == 1:
            draft_schedule[draft_id] = {"Date": rfc3339(entry[3]), "Status": "programmed"}
    return Catalogue(
        senders=senders,
        dns=dns,
        templates=templates,
        template_content=template_content,
        drafts=drafts,
        draft_content=draft_content,
        draft_schedule=draft_schedule,
        contactfilters=contactfilters,
        campaigns=campaigns,
        workflow_id=workflow_id,
        workflow_started=workflow_started,
    )


def campaign_rows(
    catalogue: Catalogue,
    list_ids: list[int],
    first_message: list[int],
    send_start: list[int],
    send_end: list[int],
) -> list[dict[str, Any]]:
    """campaign rows, once the messages tell when each campaign really sent and its first id."""
    out = []
    for plan in catalogue.campaigns:
        sender = catalogue.senders[plan.sender]
        marketing = plan.kind != "transactional"
        out.append(
            row(
                "campaign",
                CampaignType=MARKETING if marketing else TRANSACTIONAL,
                ClickTracked=1,
                CreatedAt=rfc3339(plan.created_at),
                CustomValue=plan.custom_value,
                FirstMessageID=first_message[plan.index],
                FromID=sender["ID"],
                FromEmail=sender["Email"],
                FromName=sender["Name"],
                HasHtmlCount=1,
                HasTxtCount=int(plan.text_part),
                ID=plan.id,
                IsDeleted=plan.deleted,
                IsStarred=plan.starred,
                ListID=list_ids[plan.list_index] if plan.list_index >= 0 else 0,
                NewsLetterID=plan.draft_id,
                OpenTracked=1,
                SegmentationID=catalogue.contactfilters[plan.segment]["ID"]
                if plan.segment >= 0
                else 0,
                SendEndAt=rfc3339(send_end[plan.index]),
                SendStartAt=rfc3339(send_start[plan.index]),
                SpamassScore=plan.spam_score,
                Status=0,
                Subject=plan.subject,
                UnsubscribeTrackedCount=int(marketing),
                WorkflowID=catalogue.workflow_id if plan.kind == "workflow" else 0,
            )
        )
    return out
