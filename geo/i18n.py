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
    "plan_sheet": {"zh": "下周巡查计划单", "en": "Next week's plan sheet"},
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
    "devices": {"zh": "定位手机", "en": "Phones"},
    "device": {"zh": "手机", "en": "Phone"},
    "last_fix": {"zh": "最后定位", "en": "Last fix"},
    "battery": {"zh": "电量", "en": "Battery"},
    "revoked": {"zh": "已吊销", "en": "revoked"},
    "no_devices": {
        "zh": "尚无登记的手机（geo devices add）",
        "en": "No phones registered yet (geo devices add)",
    },
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
    # The monthly review report (月调度).
    "report_title": {"zh": "月调度报告", "en": "Monthly review"},
    "generated": {"zh": "生成于", "en": "Generated"},
    "summary": {"zh": "概况", "en": "Summary"},
    "weeks_passed": {"zh": "全乡达标周数", "en": "Weeks the township met the rule"},
    "grid": {"zh": "各村每周结论", "en": "Weekly verdicts by village"},
    "grid_note": {
        "zh": "每格：结论、道路覆盖率（无道路时为面积覆盖率）、巡逻天数。",
        "en": "Each cell: verdict, road coverage (area coverage where a village has no roads), "
        "patrol days.",
    },
    "weeks_passed_short": {"zh": "达标周", "en": "Weeks passed"},
    "trends": {"zh": "覆盖率趋势", "en": "Coverage trends"},
    "trend_note": {
        "zh": "实线：道路覆盖率；虚线：面积覆盖率；红色点线：道路覆盖要求；"
        "空心点：本中队无上传、仅有其他巡查的周；无点：该周无任何巡查。",
        "en": "Solid: road coverage; dashed: area coverage; red dotted: the required road "
        "coverage; hollow points: weeks the squad uploaded nothing (others' patrols only); "
        "no point: nothing patrolled that week.",
    },
    "change": {"zh": "月内变化", "en": "Change over the month"},
    "points": {"zh": "个百分点", "en": "percentage points"},
    "persistent_gaps": {"zh": "连续两周及以上未覆盖", "en": "Gaps persisting two weeks or more"},
    "kind": {"zh": "类型", "en": "Kind"},
    "size": {"zh": "大小", "en": "Size"},
    "weeks_running": {"zh": "连续周数", "en": "Weeks running"},
    "since": {"zh": "始于", "en": "Since"},
    "no_persistent_gaps": {
        "zh": "没有连续两周及以上的未覆盖区域",
        "en": "No gap persisted two weeks or more",
    },
    "more_gaps": {"zh": "另有 {n} 处未列出", "en": "{n} more not listed"},
    "effort": {"zh": "中队工作量", "en": "Squad effort"},
    "days_patrolled": {"zh": "巡逻天数", "en": "Days on patrol"},
    "days_passed": {"zh": "达标天数", "en": "Days meeting the minimum"},
    "minutes": {"zh": "分钟", "en": "Minutes"},
    "days_unit": {"zh": "天", "en": " d"},
    "hours": {"zh": "小时", "en": "Hours"},
    "km": {"zh": "公里", "en": "km"},
    "cameras_offline": {"zh": "离线监控", "en": "Cameras offline"},
    "camera": {"zh": "监控", "en": "Camera"},
    "code": {"zh": "编号", "en": "Code"},
    "status": {"zh": "状态", "en": "Status"},
    "offline": {"zh": "离线", "en": "Offline"},
    "maintenance": {"zh": "维护中", "en": "Maintenance"},
    "installed_on": {"zh": "安装日期", "en": "Installed"},
    "cameras_note": {
        "zh": "本月至少有一周不在线的监控（按状态变更记录：一周内在线不足一半即计为不在线，"
        "与周覆盖的计算一致）。",
        "en": "Cameras not online in at least one week of the month, from their status history "
        "(online less than half of a week counts as not online, as in the weekly coverage).",
    },
    "weeks_down": {"zh": "不在线的周", "en": "Weeks not online"},
    "no_cameras_offline": {"zh": "所有监控在线", "en": "Every camera is online"},
    "camera_sites": {"zh": "建议新增监控点位", "en": "Suggested camera sites"},
    "camera_sites_note": {
        "zh": "按{week}未覆盖的区域计算：沿道路的候选点中，"
        "新增覆盖面积最大者（监控扇形视域模型）。",
        "en": "From the area {week} left uncovered: the road points where a camera (sector "
        "model) adds the most uncovered area.",
    },
    "camera_sites_note_now": {
        "zh": "按当前在线监控以外的村域计算：沿道路的候选点中，新增覆盖面积最大者。",
        "en": "From the villages outside the sectors of the cameras online now: the road "
        "points where a camera adds the most area.",
    },
    "rank": {"zh": "序号", "en": "Rank"},
    "road": {"zh": "道路", "en": "Road"},
    "facing": {"zh": "朝向（度）", "en": "Facing (°)"},
    "added_ha": {"zh": "新增覆盖（公顷）", "en": "Area added (ha)"},
    "no_camera_sites": {"zh": "没有能增加覆盖的点位", "en": "No site adds uncovered area"},
    "county_title": {"zh": "全县巡查覆盖", "en": "County patrol coverage"},
    "county_view": {"zh": "全县总览", "en": "County view"},
    "county_report_title": {"zh": "全县月调度报告", "en": "County monthly review"},
    "township": {"zh": "乡镇", "en": "Township"},
    "county_total": {"zh": "全县合计", "en": "County total"},
    "townships_passed": {"zh": "个乡镇达标", "en": "townships pass"},
    "earlier": {"zh": "更早", "en": "Earlier"},
    "later": {"zh": "更晚", "en": "Later"},
    "county_note": {
        "zh": "每格为该乡镇该周的结论和达标村数；各乡镇按各自的规则、时区计算。点击进入该乡该周。",
        "en": "Each cell is the township's verdict that week and its villages passed, each "
        "township judged by its own rules and time zone. Click a cell to open that week.",
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
