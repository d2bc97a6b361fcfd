"""The cookie sections: each cookie with its lifetime and party, and the visitor's choices.

What visitors must be told comes from LEK (2022:482) 9 kap. 28 § and EDPB GL 05/2020: purpose, lifetime,
and whether third parties can read a cookie; consent is a clear act, never continued browsing (Planet49).
"""

from __future__ import annotations

from custos.notice import phrases
from custos.notice.content import Notice
from custos.notice.document import Block, BulletList, Paragraph, Section, Span, Spans, Table, fill, text
from custos.notice.wording import Wording
from custos.policy import ConsentSettings, Cookie, CookieCategory, Party


def cookie_sections(notice: Notice, words: Wording) -> list[Section]:
    if not notice.cookies and notice.consent is None:
        return []
    return [_cookies(notice, words), _choices(notice, notice.consent, words)]


def _category_name(notice: Notice, category: CookieCategory, words: Wording) -> str:
    named = {c.id: c.name.in_(words.lang) for c in notice.consent.categories} if notice.consent else {}
    return named.get(category) or words(f"cookies.categories.{category.value}")


def _cookies(notice: Notice, words: Wording) -> Section:
    org = notice.organisation.name
    blocks: list[Block] = [
        Paragraph(text(words("cookies.what"))),
        Paragraph(text(words("cookies.kinds"))),
    ]
    analytics = list(dict.fromkeys(c.provider for c in notice.cookies if c.category is CookieCategory.ANALYTICS))
    if analytics:
        blocks.append(Paragraph(text(words("cookies.analytics", organisation=org, providers=words.join(analytics)))))
    if notice.cookies:
        header = tuple(words(f"cookies.columns.{column}") for column in _COLUMNS)
        rows = tuple(_row(notice, cookie, words) for cookie in notice.cookies)
        blocks.append(Table(words("cookies.caption", organisation=org), header, rows))
    return Section("cookies", words("cookies.heading"), tuple(blocks))


_COLUMNS = ("name", "provider", "purpose", "category", "party", "lifetime")


def _row(notice: Notice, cookie: Cookie, words: Wording) -> tuple[Spans, ...]:
    provider: Spans = text(cookie.provider)
    if cookie.privacy_url is not None:
        link = Span(words("cookies.privacy_link", provider=cookie.provider), str(cookie.privacy_url))
        provider = (*provider, Span(" ("), link, Span(")"))
    party = (
        words("cookies.first_party")
        if cookie.party is Party.FIRST
        else words("cookies.third_party", provider=cookie.provider)
    )
    return (
        (Span(cookie.name, code=True),),
        provider,
        text(cookie.purpose.in_(words.lang)),
        text(_category_name(notice, cookie.category, words)),
        text(party),
        text(phrases.lifetime(words, cookie)),
    )


def _choices(notice: Notice, consent: ConsentSettings | None, words: Wording) -> Section:
    org = notice.organisation.name
    blocks: list[Block] = [Paragraph(text(words("consent.first_visit", organisation=org)))]
    if consent is not None and consent.categories:
        blocks.append(Paragraph(text(words("consent.categories"))))
        template = words.text("consent.category")
        items = (
            fill(template, name=c.name.in_(words.lang), description=c.description.in_(words.lang))
            for c in consent.categories
        )
        blocks.append(BulletList(tuple(items)))
    # Custos never treats browsing as consent, whatever the policy file asks (`policy check` warns), so the
    # notice says what Custos does: nothing but necessary cookies until the visitor chooses.
    blocks.append(Paragraph(text(words("consent.no_implied"))))
    if consent is not None:
        icon = words(f"consent.icon.{consent.withdraw_icon.value}")
        blocks.append(Paragraph(text(words("consent.withdraw", icon=icon))))
        blocks.append(Paragraph(text(words("consent.validity", period=words.duration(consent.validity)))))
        if consent.gpc_honoured:
            blocks.append(Paragraph(text(words("consent.gpc"))))
    blocks.append(Paragraph(text(words("consent.necessary"))))
    return Section("consent", words("consent.heading"), tuple(blocks))
