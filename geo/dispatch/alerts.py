"""Mid-week alert messages: a :class:`geo.dispatch.risk.WeekRisk` as one message per webhook
target, and how a message is sent.

Formats (docs/dispatch.md cites their documentation):

- ``wecom``: a WeCom (企业微信) group robot, ``{"msgtype": "markdown", "markdown":
  {"content": ...}}``;
- ``dingtalk``: a DingTalk (钉钉) group robot, ``{"msgtype": "markdown", "markdown":
  {"title": ..., "text": ...}}``, signed (加签) when the target has a secret;
- ``json``: the risk as dumped (:meth:`pydantic.BaseModel.model_dump`, JSON mode).

:func:`messages` is pure; :func:`send` makes one bounded HTTP call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import quote_plus

import httpx

from geo.dispatch.outbox import AlertTarget, Channel, OutboxMessage
from geo.dispatch.risk import WeekRisk


def alert_text(risk: WeekRisk) -> tuple[str, str]:
    """The title and the Markdown body (Chinese) of ``risk``'s alert: each village at risk
    with its squad and reasons.

    Examples
    --------
    >>> from datetime import date
    >>> from geo.coverage.result import Reason
    >>> from geo.dispatch.risk import VillageRisk
    >>> v = VillageRisk(village_code="1", name="小章村", squad="squad-01", at_risk=True,
    ...     reasons=[Reason(code="silent_phone", zh="手机 3 天无定位", en="")],
    ...     meets_so_far=False, road_coverage=None, reachable=None, patrol_days_left=3,
    ...     silent_days=3, missed_mandatory=[])
    >>> risk = WeekRisk(township_code="433122207", week="2026-W48", as_of=date(2026, 11, 26),
    ...     days_left=3, villages=[v])
    >>> title, body = alert_text(risk)
    >>> title
    '巡查预警 433122207 2026-W48：1 个村有风险'
    >>> print(body.splitlines()[-1])
    - 手机 3 天无定位
    """
    title = f"巡查预警 {risk.township_code} {risk.week}：{risk.villages_at_risk} 个村有风险"
    lines = [
        f"### {title}",
        f"截至 {risk.as_of.isoformat()}，本周还剩 {risk.days_left} 天。",
    ]
    for village in risk.at_risk:
        lines.append("")
        lines.append(f"**{village.name}**（{village.village_code}，{village.squad or '未分配'}）")
        lines.extend(f"- {reason.zh}" for reason in village.reasons)
    return title, "\n".join(lines)


def payload(risk: WeekRisk, channel: Channel) -> dict[str, object]:
    """The JSON body ``channel`` takes for ``risk``."""
    if channel == "json":
        return risk.model_dump(mode="json")
    title, text = alert_text(risk)
    if channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def message_key(risk: WeekRisk, target: AlertTarget) -> str:
    """The outbox key of ``risk``'s message to ``target``: the same township, channel,
    target, day and set of villages at risk give the same key (so it is enqueued once)."""
    villages = sorted(v.village_code for v in risk.at_risk)
    parts = [risk.township_code, target.kind, target.name, risk.as_of.isoformat(), *villages]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def messages(risk: WeekRisk, targets: list[AlertTarget], now: datetime) -> list[OutboxMessage]:
    """One outbox message per target for ``risk`` (none when no village is at risk, or for a
    target limited to other townships)."""
    if not risk.at_risk:
        return []
    return [
        OutboxMessage(
            key=message_key(risk, target),
            township=risk.township_code,
            week=risk.week,
            as_of=risk.as_of.isoformat(),
            channel=target.kind,
            target=target.name,
            payload=payload(risk, target.kind),
            next_attempt_at=now,
            created_at=now,
        )
        for target in targets
        if target.townships is None or risk.township_code in target.townships
    ]


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """A DingTalk robot URL signed with ``secret`` (加签): ``timestamp`` and ``sign`` =
    Base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded, added to the query.

    Examples
    --------
    >>> signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC1", 1000)
    'https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1000&sign=DrUNJmvaryYvdL4n9Sy1Aw%2BCiLgWPyBObdj2KhylA30%3D'
    """
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def send(
    client: httpx.Client, target: AlertTarget, message: OutboxMessage, now: datetime
) -> str | None:
    """POST ``message`` to ``target``; None when delivered, else why not (an HTTP error
    status, a robot's non-zero ``errcode``, a timeout or a refused connection)."""
    url = target.url
    if target.kind == "dingtalk" and target.secret:
        url = signed_url(url, target.secret, int(now.timestamp() * 1000))
    body = json.dumps(message.payload, ensure_ascii=False).encode()
    try:
        response = client.post(
            url, content=body, headers={"Content-Type": "application/json; charset=utf-8"}
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code >= 300:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if target.kind in ("wecom", "dingtalk"):
        try:
            code = response.json().get("errcode", 0)
        except (ValueError, AttributeError):
            code = 0
        if code:
            return f"errcode {code}: {response.text[:200]}"
    return None


__all__ = ["alert_text", "message_key", "messages", "payload", "send", "signed_url"]
