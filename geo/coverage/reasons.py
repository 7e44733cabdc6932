"""Why a village fails the weekly rule: a code with a Chinese and an English sentence each."""

from __future__ import annotations

from geo.coverage.result import Reason


def _reason(code: str, zh: str, en: str) -> Reason:
    return Reason(code=code, zh=zh, en=en)


def no_data(squad: str) -> Reason:
    return _reason(
        "no_data",
        f"本周未收到{squad}的任何轨迹上传（可能是手机未上传，不等于未巡逻）",
        f"No track uploaded by {squad} this week "
        "(a silent phone, not necessarily a skipped patrol)",
    )


def no_patrol_day(min_minutes: float) -> Reason:
    return _reason(
        "no_patrol_day",
        f"本周没有一天在村内巡逻满 {min_minutes:g} 分钟",
        f"No day this week with at least {min_minutes:g} minutes of patrol inside the village",
    )


def road_coverage_low(value: float, required: float) -> Reason:
    return _reason(
        "road_coverage_low",
        f"道路覆盖率 {value:.0%}，低于要求的 {required:.0%}",
        f"Road coverage {value:.0%} is below the required {required:.0%}",
    )


def area_coverage_low(value: float, required: float) -> Reason:
    return _reason(
        "area_coverage_low",
        f"面积覆盖率 {value:.0%}，低于要求的 {required:.0%}（本村无道路数据）",
        f"Area coverage {value:.0%} is below the required {required:.0%} (no roads mapped)",
    )


def mandatory_checkpoints_missed(names: list[str]) -> Reason:
    return _reason(
        "mandatory_checkpoint_missed",
        f"必到点位未到：{'、'.join(names)}",
        f"Mandatory checkpoint(s) not visited: {', '.join(names)}",
    )
