"""Interface text in Chinese (default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "巡查覆盖", "en": "Patrol coverage"},
    "week": {"zh": "周", "en": "Week"},
    "previous": {"zh": "上一周", "en": "Previous"},
    "next": {"zh": "下一周", "en": "Next"},
    "township_pass": {"zh": "全乡达标", "en": "The township meets the rule"},
    "township_fail": {"zh": "全乡未达标", "en": "The township does not meet the rule"},
    "villages_passed": {"zh": "个村达标", "en": "villages pass"},
    "village": {"zh": "村", "en": "Village"},
    "squad": {"zh": "中队", "en": "Squad"},
    "verdict": {"zh": "结论", "en": "Verdict"},
    "days": {"zh": "巡逻天数", "en": "Patrol days"},
    "roads": {"zh": "道路覆盖", "en": "Roads"},
    "area": {"zh": "面积覆盖", "en": "Area"},
    "watched": {"zh": "含监控", "en": "With cameras"},
    "reasons": {"zh": "原因", "en": "Reasons"},
    "pass": {"zh": "达标", "en": "Pass"},
    "fail": {"zh": "未达标", "en": "Fail"},
    "no_data": {"zh": "无数据", "en": "No data"},
    "gaps": {"zh": "未覆盖排行", "en": "Gaps, most urgent first"},
    "gap_area": {"zh": "未覆盖区域", "en": "Uncovered area"},
    "gap_road": {"zh": "未巡道路", "en": "Unpatrolled road"},
    "hectares": {"zh": "公顷", "en": "ha"},
    "metres": {"zh": "米", "en": "m"},
    "last_covered": {"zh": "最后巡查", "en": "last patrolled"},
    "never": {"zh": "八周内未巡查", "en": "not in 8 weeks"},
    "no_gaps": {"zh": "没有未覆盖区域", "en": "No gaps"},
    "map": {"zh": "地图", "en": "Map"},
    "other_lang": {"zh": "English", "en": "中文"},
    "computed": {"zh": "计算于", "en": "computed"},
    "signin_title": {"zh": "登录", "en": "Sign in"},
    "signin_intro": {
        "zh": "请粘贴管理员发给您的访问密钥（geo_ 开头）。",
        "en": "Paste the access key your administrator gave you (it starts with geo_).",
    },
    "key_label": {"zh": "访问密钥", "en": "Access key"},
    "signin_button": {"zh": "登录", "en": "Sign in"},
    "signin_note": {
        "zh": "密钥保存在本浏览器的 Cookie 中（7 天），退出登录即清除。",
        "en": "The key is kept in this browser's cookie for 7 days; signing out removes it.",
    },
    "signout": {"zh": "退出登录", "en": "Sign out"},
    "bad_key": {
        "zh": "密钥无效：格式不对、不存在或已被吊销。",
        "en": "This key is not valid: malformed, unknown or revoked.",
    },
    "not_allowed": {
        "zh": "此密钥的角色无权打开该页面，请换用领导、规划或管理员密钥。",
        "en": "This key's role may not open that page; use a leader, planner or admin key.",
    },
    "signin_needed": {"zh": "请先登录。", "en": "Please sign in first."},
    "cross_site": {
        "zh": "登录请求来自其他网站，已拒绝。",
        "en": "The sign-in came from another site and was refused.",
    },
}


def texts(lang: Lang) -> dict[str, str]:
    """All interface strings in one language."""
    return {key: value[lang] for key, value in TEXT.items()}


def pick_lang(query: str | None, accept_language: str | None) -> Lang:
    """``?lang=`` first, then the browser's language; Chinese by default."""
    if query in ("zh", "en"):
        return query  # type: ignore[return-value]
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return "zh"
