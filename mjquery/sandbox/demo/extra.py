"""The account-level and less common resources of the demo account.

User, profile, API key and tokens, preferences, webhooks, parse routes, widgets and sign-ups,
workflows, A/B tests, campaign aggregates, import jobs, the legacy ``newsletter`` view of the
drafts, the ``messagestate`` reference table and ``metadata`` (generated from the vendored
reference, in the shape of the real ``GET /v3/REST/metadata``). A few rows each, linked to the
rest of the account by their ``XxxID`` fields.
"""

from __future__ import annotations

import random
from typing import Any

from mjquery.sandbox.demo import vocab
from mjquery.sandbox.demo.campaigns import Catalogue
from mjquery.sandbox.demo.people import Audience
from mjquery.sandbox.demo.reference import reference_entries, rfc3339, row
from mjquery.sandbox.demo.stats import Counts, Statistics, std_dev

DAY = 86400
API_VERSION = "3.0.11095"


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def metadata_rows() -> list[dict[str, Any]]:
    """``metadata`` rows for the resources the reference describes (not sub-resources or actions)."""
    out = []
    for entry in reference_entries():
        name = entry["resource"]
        if "/" in name or " " in name:
            continue

        def prop(item: dict[str, Any]) -> dict[str, Any]:
            return {
                "DataType": item.get("api_datatype") or item.get("type") or "AnsiString",
                "DefaultValue": item.get("default") or "",
                "Description": item.get("description") or "",
                "IsRequired": bool(item.get("required")),
                "Name": item["name"],
                "ReadOnly": bool(item.get("readonly")),
            }

        actions = [
            {
                "Description": "",
                "IsGlobalAction": bool(action.get("global")),
                "Name": action["action"],
                "Parameters": [
                    {
                        "DataType": p.get("api_datatype") or "AnsiString",
                        "DefaultValue": "",
                        "Description": "",
                        "IsRequired": bool(p.get("required")),
                        "Name": p["name"],
                        "ReadOnly": False,
                    }
                    for p in action.get("parameters") or ()
                ],
                "Properties": [],
                "PublicOperations": ", ".join(m.capitalize() for m in action.get("methods") or ()),
            }
            for action in entry.get("actions_in_metadata") or ()
        ]
        sortable = (entry.get("sort") or {}).get("sortable") or ()
        out.append(
            row(
                "metadata",
                Actions=actions,
                APIVersion=API_VERSION,
                Description=entry.get("description") or "",
                Filters=[
                    prop(f) for f in entry.get("filters") or () if f.get("in_metadata_2021", True)
                ],
                IsReadOnly=bool(entry.get("read_only_resource")),
                Name=name,
                PrivateOperations="",
                Properties=[
                    prop(f) for f in entry.get("fields") or () if f.get("in_metadata_2021", True)
                ],
                PublicOperations=", ".join(m.capitalize() for m in entry["methods"]),
                SortInfo=[
                    {"AllowDescending": bool(s.get("desc_allowed")), "PropertyName": s["field"]}
                    for s in sortable
                ],
                UniqueKey=(entry.get("key") or {}).get("unique_key_metadata") or "",
            )
        )
    return out


def account_resources(
    rng: random.Random,
    audience: Audience,
    catalogue: Catalogue,
    stats: Statistics,
    user_id: int,
    api_key_id: int,
    start: int,
    now: int,
) -> dict[str, list[dict[str, Any]]]:
    """Rows for every remaining GET-able resource."""
    company_email = f"owner@{vocab.COMPANY_DOMAIN}"
    lists = audience.lists
    senders = catalogue.senders
    out: dict[str, list[dict[str, Any]]] = {}

    out["user"] = [
        row(
            "user",
            ACL="",
            CreatedAt=rfc3339(start),
            Email=company_email,
            ID=user_id,
            LastIp="203.0.113.24",
            LastLoginAt=rfc3339(now - 5 * 3600),
            Locale="en_US",
            MaxAllowedAPIKeys=5,
            Timezone="Europe/Paris",
            Username="kestrel-owner",
            WarnedRatelimitAt="",
            FirstIp="198.51.100.7",
        )
    ]
    out["myprofile"] = [
        row(
            "myprofile",
            AddressCity="Lyon",
            AddressCountry="FR",
            AddressPostalCode="69002",
            AddressState="",
            AddressStreet="12 rue des Torrefacteurs",
            BillingEmail=f"billing@{vocab.COMPANY_DOMAIN}",
            BirthdayAt="",
            CompanyName=vocab.COMPANY,
            CompanyNumOfEmployees="11-50",
            ContactPhone="+33 4 00 00 00 00",
            EstimatedVolume=25000,
            Features="",
            Firstname="Camille",
            ID=user_id + 17,
            Industry="Food & beverage",
            JobTitle="Founder",
            Lastname="Moreau",
            UserID=user_id,
            VAT=20.0,
            VATNumber="FR00123456789",
            Website=vocab.SITE,
        )
    ]
    secondary_key = api_key_id + 1 + rng.randrange(5000)
    out["apikey"] = [
        row(
            "apikey",
            ACL="",
            APIKey=_hex(rng, 32),
            CreatedAt=rfc3339(start),
            ID=api_key_id,
            IsActive=True,
            IsMaster=True,
            Name="Kestrel main",
            QuarantineValue=0,
            RegionID=0,
            Runlevel="Normal",
            SecretKey=_hex(rng, 32),
            TrackHost="k3str.mjt.example",
            UserID=user_id,
        ),
        row(
            "apikey",
            ACL="",
            APIKey=_hex(rng, 32),
            CreatedAt=rfc3339(start + 400 * DAY),
            ID=secondary_key,
            IsActive=True,
            IsMaster=False,
            Name="Shop transactional",
            QuarantineValue=0,
            RegionID=0,
            Runlevel="Normal",
            SecretKey=_hex(rng, 32),
            TrackHost="k3str.mjt.example",
            UserID=user_id,
        ),
    ]
    out["apikeyaccess"] = [
        row(
            "apikeyaccess",
            AllowedAccess="campaigns,contacts,reports,stats,transactional",
            APIKeyID=api_key_id,
            CreatedAt=rfc3339(start + 2 * DAY),
            CustomName="Marketing team",
            ID=610000 + rng.randrange(1000),
            IsActive=True,
            LastActivityAt=rfc3339(now - 3 * 3600),
            RealUserID=user_id + 311,
            SubaccountID=0,
            UserID=user_id,
        ),
        row(
            "apikeyaccess",
            AllowedAccess="reports,stats",
            APIKeyID=api_key_id,
            CreatedAt=rfc3339(now - 200 * DAY),
            CustomName="Agency (read only)",
            ID=612000 + rng.randrange(1000),
            IsActive=False,
            LastActivityAt="",
            RealUserID=user_id + 977,
            SubaccountID=0,
            UserID=user_id,
        ),
    ]
    out["apikeyaccessgrantor"] = [
        row(
            "apikeyaccessgrantor",
            APIKeyID=api_key_id,
            IsMaster=True,
            IsQuarantined=False,
            Name="Kestrel main",
            Senders=",".join(s["Email"] for s in senders if s["Status"] == "Active"),
        ),
    ]
    out["apitoken"] = [
        row(
            "apitoken",
            ACL="",
            AllowedAccess="campaigns,contacts,reports",
            APIKeyID=api_key_id,
            CatchedIp="",
            CreatedAt=rfc3339(now - 90 * DAY),
            FirstUsedAt=rfc3339(now - 89 * DAY),
            ID=88100 + rng.randrange(100),
            IsActive=True,
            Lang="en_US",
            LastUsedAt=rfc3339(now - DAY),
            SentData="",
            Timezone="Europe/Paris",
            Token=_hex(rng, 40),
            TokenType="page",
            ValidFor=3600,
        ),
        row(
            "apitoken",
            ACL="",
            AllowedAccess="reports",
            APIKeyID=api_key_id,
            CatchedIp="",
            CreatedAt=rfc3339(now - 30 * DAY),
            FirstUsedAt="",
            ID=88300 + rng.randrange(100),
            IsActive=False,
            Lang="fr_FR",
            LastUsedAt="",
            SentData="",
            Timezone="Europe/Paris",
            Token=_hex(rng, 40),
            TokenType="iframe",
            ValidFor=600,
        ),
    ]
    out["apppreferences"] = [
        row("apppreferences", APIKeyID=api_key_id, ID=5500 + n, PrefKey=key, PrefValue=value)
        for n, (key, value) in enumerate(
            (("default_locale", "en_US"), ("stats_timezone", "Europe/Paris"), ("editor", "mjml"))
        )
    ]
    out["preferences"] = [
        row("preferences", ID=33659200 + n, Key=key, UserID=user_id, Value=value)
        for n, (key, value) in enumerate(
            (
                ("account_notifications_sms", "0"),
                ("account_notifications_email", "1"),
                ("weekly_report", "1"),
                ("timezone", "Europe/Paris"),
            )
        )
    ]
    out["eventcallbackurl"] = [
        row(
            "eventcallbackurl",
            AccountID="",
            APIKeyID=api_key_id,
            EventType=event,
            ID=987600 + n,
            IsBackup=False,
            ProjectID="",
            QueueName="",
            Region="",
            Resource="",
            SharedAccessSignature="",
            Status="alive" if event != "spam" else "dead",
            Topic="",
            Url=f"https://hooks.kestrelcoffee.example/mailjet/{event}",
            Version=2,
        )
        for n, event in enumerate(("open", "click", "bounce", "spam", "unsub"))
    ]
    out["parseroute"] = [
        row(
            "parseroute",
            APIKeyID=api_key_id,
            Email=f"replies@{vocab.COMPANY_DOMAIN}",
            ID=654300 + rng.randrange(100),
            Url="https://hooks.kestrelcoffee.example/mailjet/inbound",
        ),
    ]
    out["metasender"] = [
        row(
            "metasender",
            CreatedAt=rfc3339(start + 5 * DAY),
            Description="Main sending domain",
            Email=f"*@{vocab.COMPANY_DOMAIN}",
            Filename="",
            ID=9100 + rng.randrange(100),
            IsEnabled=True,
        ),
    ]
    out["preset"] = [
        row(
            "preset",
            Author=vocab.COMPANY,
            Copyright=vocab.COMPANY,
            Description="Brand colours and fonts",
            ID=7700 + n,
            Name=name,
            OwnerID=api_key_id,
            OwnerType="apikey",
            Preset=preset,
        )
        for n, (name, preset) in enumerate(
            (
                ("Kestrel brand", '{"color":"#3b2a1a","font":"Georgia"}'),
                ("Holiday theme", '{"color":"#8b0000","font":"Georgia"}'),
            )
        )
    ]

    newsletter_list = next(index for index, m in enumerate(lists) if m.kind == "newsletter")
    widget_ids = [3100 + rng.randrange(50), 3200 + rng.randrange(50)]
    out["widget"] = [
        row(
            "widget",
            CreatedAt=start + 8 * DAY,
            FromID=senders[1]["ID"],
            ID=widget_ids[0],
            IsActive=True,
            ListID=lists[newsletter_list].id,
            Locale="en_US",
            Name="Website footer sign-up",
            Replyto=f"hello@{vocab.COMPANY_DOMAIN}",
            Sendername=vocab.COMPANY,
            Subject="Please confirm your subscription",
            TemplateID=0,
        ),
        row(
            "widget",
            CreatedAt=start + 500 * DAY,
            FromID=senders[1]["ID"],
            ID=widget_ids[1],
            IsActive=False,
            ListID=lists[newsletter_list].id,
            Locale="fr_FR",
            Name="Popup (old)",
            Replyto="",
            Sendername=vocab.COMPANY,
            Subject="Confirmez votre inscription",
            TemplateID=0,
        ),
    ]
    out["widgetcustomvalue"] = [
        row(
            "widgetcustomvalue",
            APIKeyID=api_key_id,
            Display=display,
            ID=4400 + n,
            Name=name,
            Value=value,
            WidgetID=widget_ids[0],
        )
        for n, (name, value, display) in enumerate(
            (
                ("button_label", "Subscribe", True),
                ("title", "Fresh coffee news", True),
                ("success_message", "Check your inbox!", False),
            )
        )
    ]
    # Sign-ups through the widget: the newest newsletter members that came from the website.
    mlist = lists[newsletter_list]
    signups: list[dict[str, Any]] = []
    for k in range(len(mlist.member_contact) - 1, -1, -1):
        contact = mlist.member_contact[k]
        if audience.properties[contact].get("source") != "website":
            continue
        joined = mlist.member_subscribed[k]
        pending = audience.opt_in_pending[contact]
        signups.append(
            row(
                "contactslistsignup",
                ConfirmAt=0 if pending else joined + 40,
                ConfirmIp="" if pending else f"198.51.100.{contact % 250 + 1}",
                ContactID=audience.contact_id[contact],
                Email=audience.email[contact],
                ID=987000 + len(signups) * 3,
                ListID=mlist.id,
                SignupAt=joined - 60,
                SignupIp=f"198.51.100.{contact % 250 + 1}",
                SignupKey=_hex(rng, 32),
                Source="mj_widget",
                SourceId=widget_ids[0],
            )
        )
        if len(signups) >= 25:
            break
    out["contactslistsignup"] = signups

    out["contacthistorydata"] = [
        row(
            "contacthistorydata",
            ContactID=audience.contact_id[index],
            CreatedAt=rfc3339(audience.created[index] + DAY),
            Data=str(orders),
            ID=5100000 + n,
            Name="total_orders",
        )
        for n, (index, orders) in enumerate(
            (i, audience.properties[i]["total_orders"])
            for i in range(audience.size)
            if "total_orders" in audience.properties[i]
        )
        if n < 30
    ]

    workflow = next(plan for plan in catalogue.campaigns if plan.kind == "workflow")
    out["workflow"] = [
        row(
            "workflow",
            CreatedAt=rfc3339(catalogue.workflow_started - 2 * DAY),
            ID=catalogue.workflow_id,
            IsDeleted=False,
            ModifiedAt=rfc3339(catalogue.workflow_started),
            Name="Welcome series",
            Status="active",
        ),
        row(
            "workflow",
            CreatedAt=rfc3339(now - 120 * DAY),
            ID=catalogue.workflow_id + 7,
            IsDeleted=False,
            ModifiedAt=rfc3339(now - 100 * DAY),
            Name="Win-back lapsed buyers",
            Status="draft",
        ),
        row(
            "workflow",
            CreatedAt=rfc3339(start + 200 * DAY),
            ID=catalogue.workflow_id - 31,
            IsDeleted=True,
            ModifiedAt=rfc3339(start + 260 * DAY),
            Name="Birthday coupon (old)",
            Status="stopped",
        ),
    ]
    counts = stats.campaign_counts(workflow.index)
    out["workflowstatistics"] = [
        row(
            "workflowstatistics",
            AutoCleanExitedCount=0,
            BlockedCount=counts.blocked,
            BouncedCount=counts.bounced,
            ClickedCount=counts.clicked,
            ContactCompletedCount=counts.processed - counts.unsub,
            ContactCount=counts.processed,
            ContactUneligibleCount=0,
            DeliveredCount=counts.delivered,
            ExitConditionExitedCount=0,
            ExitedWorkflowCount=counts.unsub,
            ExitLinkExitedCount=0,
            LastContactEnteredAt=rfc3339(stats.send_end[workflow.index]),
            LastMessageSentAt=rfc3339(stats.send_end[workflow.index]),
            OpenedCount=counts.opened,
            ProcessedCount=counts.processed,
            QueuedCount=0,
            SpamComplaintCount=counts.spam,
            UserExitedCount=counts.unsub,
            WorflowStartedAt=rfc3339(catalogue.workflow_started),
            WorkflowID=catalogue.workflow_id,
        )
    ]

    # A/B test: one finished test on the customers list, with its winner.
    customers = next(m for m in lists if m.kind == "customers")
    out["axtesting"] = [
        row(
            "axtesting",
            ContactListID=customers.id,
            CreatedAt=rfc3339(now - 150 * DAY),
            Deleted=False,
            ID=2200 + rng.randrange(50),
            Mode="automatic",
            Name="Subject line test: discount vs. free shipping",
            Percentage=20.0,
            RemainderAt=rfc3339(now - 149 * DAY),
            SegmentationID=0,
            Starred=False,
            StartAt=rfc3339(now - 150 * DAY + 3600),
            Status="AXTested",
            StatusCode=3,
            StatusString="finished",
            WinnerClickRate=0.061,
            WinnerID=2,
            WinnerMethod="openrate",
            WinnerOpenRate=0.342,
            WinnerSpamRate=0.0,
            WinnerUnsubRate=0.004,
        ),
        row(
            "axtesting",
            ContactListID=lists[newsletter_list].id,
            CreatedAt=rfc3339(now - 10 * DAY),
            Deleted=False,
            ID=2300 + rng.randrange(50),
            Mode="manual",
            Name="Header image test",
            Percentage=10.0,
            RemainderAt="",
            SegmentationID=0,
            Starred=True,
            StartAt="",
            Status="Draft",
            StatusCode=0,
            StatusString="draft",
            WinnerClickRate=0.0,
            WinnerID=0,
            WinnerMethod="clickrate",
            WinnerOpenRate=0.0,
            WinnerSpamRate=0.0,
            WinnerUnsubRate=0.0,
        ),
    ]

    # Campaign aggregates (saved comparisons) and their averaged graph statistics.
    newsletters = [
        p
        for p in catalogue.campaigns
        if p.kind == "newsletter" and lists[p.list_index].kind in ("newsletter", "members")
    ]
    promos = [
        p
        for p in catalogue.campaigns
        if p.kind == "newsletter" and lists[p.list_index].kind in ("customers", "promo")
    ]
    aggregates = []
    graph = []
    for n, (name, keyword, plans) in enumerate(
        (("Newsletters", "newsletter", newsletters), ("Promotions", "promo", promos))
    ):
        aggregate_id = 610 + n
        aggregates.append(
            row(
                "campaignaggregate",
                CampaignIDS=",".join(str(p.id) for p in plans),
                ContactFilterID=0,
                ContactsListID=lists[plans[0].list_index].id if plans else 0,
                Final=True,
                FromDate=rfc3339(now - 365 * DAY),
                ID=aggregate_id,
                Keyword=keyword,
                Name=name,
                SenderID=senders[plans[0].sender]["ID"] if plans else 0,
                ToDate=rfc3339(now),
            )
        )
        plan_counts = [stats.campaign_counts(p.index) for p in plans]
        if not plan_counts:
            continue

        values = {
            a: [float(getattr(c, a)) for c in plan_counts]
            for a in ("blocked", "bounced", "clicked", "opened", "delivered", "spam", "unsub")
        }
        graph.append(
            row(
                "aggregategraphstatistics",
                BlockedCount=sum(values["blocked"]) / len(plan_counts),
                BlockedStdDev=std_dev(values["blocked"]),
                BouncedCount=sum(values["bounced"]) / len(plan_counts),
                BouncedStdDev=std_dev(values["bounced"]),
                CampaignAggregateID=aggregate_id,
                ClickedCount=sum(values["clicked"]) / len(plan_counts),
                ClickedStdDev=std_dev(values["clicked"]),
                OpenedCount=sum(values["opened"]) / len(plan_counts),
                OpenedStdDev=std_dev(values["opened"]),
                RefTimestamp=min(stats.send_start[p.index] for p in plans),
                SentCount=sum(values["delivered"]) / len(plan_counts),
                SentStdDev=std_dev(values["delivered"]),
                SpamComplaintCount=sum(values["spam"]) / len(plan_counts),
                SpamcomplaintStdDev=std_dev(values["spam"]),
                UnsubscribedCount=sum(values["unsub"]) / len(plan_counts),
                UnsubscribedStdDev=std_dev(values["unsub"]),
            )
        )
    out["campaignaggregate"] = aggregates
    out["aggregategraphstatistics"] = graph

    # Import jobs: the CSV import of the trade-show leads, and the send jobs of recent campaigns.
    leads = next(m for m in lists if m.kind == "leads")
    import_at = leads.created_at + 3600
    out["csvimport"] = [
        row(
            "csvimport",
            AliveAt=rfc3339(import_at + 95),
            ContactsListID=leads.id,
            Count=len(leads.member_contact),
            Current=len(leads.member_contact),
            DataID=57000 + rng.randrange(100),
            Errcount=3,
            ErrTreshold=1,
            ID=987600 + rng.randrange(100),
            ImportOptions="",
            JobEnd=rfc3339(import_at + 95),
            JobStart=rfc3339(import_at + 5),
            Method="addnoforce",
            RequestAt=rfc3339(import_at),
            Status="Completed",
        ),
    ]
    batch: list[dict[str, Any]] = []
    for plan in catalogue.campaigns:
        if plan.kind != "newsletter" or not stats.send_start[plan.index]:
            continue
        begun, ended = stats.send_start[plan.index], stats.send_end[plan.index]
        batch.append(
            row(
                "batchjob",
                AliveAt=ended,
                APIKeyID=api_key_id,
                Blocksize=0,
                Count=Counts(stats.by_campaign[plan.index]).processed,
                Current=0,
                DataID=0,
                Errcount=0,
                ErrTreshold=0,
                ID=356225000 + 17 * len(batch),
                JobEnd=ended,
                JobStart=begun - 5,
                JobType="Send newsletter",
                Method="Unknown",
                RefId=plan.draft_id,
                RequestAt=begun - 60,
                Status="Completed",
                Throttle=0,
            )
        )
    out["batchjob"] = batch

    # The legacy view of the drafts: same ids and values, in the newsletter shape.
    out["newsletter"] = [
        row(
            "newsletter",
            # A number, as in the newsletter rows recorded in 2020 (gem cassette
            # Mailjet_Newsletter: "AXFraction": 0) and the metadata (Double); AXTesting is left
            # out while there is no A/X test (core.OMITTED_WHEN_UNSET).
            AXFraction=d["AXFraction"],
            AXFractionName=d["AXFractionName"],
            AXTesting=d["AXTesting"],
            Callback="",
            CampaignID=d["CampaignID"],
            ContactsListID=d["ContactsListID"],
            CreatedAt=d["CreatedAt"],
            DeliveredAt=d["DeliveredAt"],
            EditMode="tool" if d["EditMode"] == "tool2" else "html",
            EditType="full",
            Footer="default",
            FooterAddress="",
            FooterWYSIWYGType=0,
            HeaderFilename="",
            HeaderLink="",
            HeaderText="",
            HeaderUrl="",
            ID=d["ID"],
            Ip="",
            IsHandled=d["Status"] == 2,
            IsStarred=d["IsStarred"],
            IsTextPartIncluded=d["IsTextPartIncluded"],
            Locale=d["Locale"],
            ModifiedAt=d["ModifiedAt"],
            Permalink="default",
            PermalinkHost="",
            PermalinkWYSIWYGType=0,
            PolitenessMode=0,
            ReplyEmail=d["ReplyEmail"],
            SegmentationID=d["SegmentationID"],
            Sender=d["Sender"],
            SenderEmail=d["SenderEmail"],
            SenderName=d["SenderName"],
            Status=d["Status"],
            Subject=d["Subject"],
            TemplateID=0,
            TestAddress="",
            Title=d["Title"],
            Url=d["Url"],
        )
        for d in catalogue.drafts
    ]
    categories = [
        (1, "Newsletters", 0),
        (2, "Promotions", 0),
        (3, "Seasonal", 2),
        (4, "Transactional", 0),
    ]
    out["newslettertemplatecategory"] = [
        row(
            "newslettertemplatecategory",
            Description=f"{value} layouts",
            ID=cid,
            Locale="en_US",
            ParentCategoryID=parent,
            Value=value,
        )
        for cid, value, parent in categories
    ]
    out["newslettertemplate"] = [
        row(
            "newslettertemplate",
            CategoryID=cid,
            CreatedAt=rfc3339(start + (30 + 60 * cid) * DAY),
            Footer="default",
            FooterAddress="",
            FooterWYSIWYGType=0,
            HeaderFilename="",
            HeaderLink="",
            HeaderText="",
            HeaderUrl="",
            ID=810 + cid,
            Locale="en_US",
            Name=f"{value} (classic)",
            Permalink="default",
            PermalinkWYSIWYGType=0,
            SourceNewsLetterID=0,
            Status=0,
        )
        for cid, value, _parent in categories
    ]
    out["messagestate"] = [
        row("messagestate", ID=index + 1, RelatedTo=related, State=state)
        for index, (related, state) in enumerate(vocab.MESSAGE_STATES)
    ]
    out["useractivity"] = [
        row(
            "useractivity",
            ts=rfc3339(now - n * DAY - 3600 * (n % 7)),
            uid=user_id,
            use=1 + (n * 7) % 5,
        )
        for n in range(14)
    ]
    out["metadata"] = metadata_rows()
    return out
