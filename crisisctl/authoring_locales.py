"""Language versions of the notices `playbook new` writes: Chinese skeletons built in, other languages get the
English text to translate. Only notices to customers, key accounts and regulators are localised."""

from __future__ import annotations

import re
from collections.abc import Sequence

from crisisctl.errors import UsageError
from crisisctl.playbook.vocabulary import CUSTOMER_AUDIENCES, LOCALE_PATTERN

LOCALISED_AUDIENCES = (*CUSTOMER_AUDIENCES, "regulator")
DEFAULT_LOCALE = "en"  # the language of the unsuffixed templates


def notice_locales(requested: Sequence[str]) -> tuple[str, ...]:
    """A localised notice's `locales:`: the languages asked for, in their order (the first is the default), with
    English, the unsuffixed template, first unless it was named; none when none was asked for."""
    for locale in requested:
        if not re.fullmatch(LOCALE_PATTERN, locale):
            raise UsageError(f"`{locale}` is not a locale", "pass a language code such as zh, en or zh-Hant")
    ordered = tuple(dict.fromkeys(requested))
    if not ordered or ordered == (DEFAULT_LOCALE,):
        return ()
    return ordered if DEFAULT_LOCALE in ordered else (DEFAULT_LOCALE, *ordered)


def localised_templates(file: str, english: str, locales: Sequence[str]) -> dict[str, str]:
    """The extra template files of one notice, by name: `notice.zh.md.j2` beside `notice.md.j2`."""
    from crisisctl.render.notices import localized_name

    return {
        localized_name(file, locale): _body(file, english, locale) for locale in locales if locale != DEFAULT_LOCALE
    }


def _body(file: str, english: str, locale: str) -> str:
    if re.split(r"[-_]", locale)[0] == "zh" and file in ZH_BODY_BY_FILE:
        return ZH_BODY_BY_FILE[file]
    return f"{{# Translate this notice into {locale}; keep every {{{{ ... }}}} and {{% ... %}} as it is. #}}\n{english}"


_DRILL_NOTICE = """\
{% if incident.drill %}
**演练。** 本通知在应急演练中生成，不得发送。

{% endif %}"""

ZH_BODY_BY_FILE = {
    "customer-notice.md.j2": """\
{# 迅速、坦诚、有同理心：发生了什么、我们在做什么、您可以做什么、何时再通知您。请按本类危机改写。 #}
Subject: {% if incident.drill %}【演练，请勿发送】{% endif %}{{ playbook.title }}：情况说明及我们的措施

"""
    + _DRILL_NOTICE
    + """
尊敬的顾客：

我们希望第一时间告知您一个对您有影响的问题，并向您致歉。

## 发生了什么

{{ inputs.issue_summary }}

## 我们正在做什么

我们正在查明原因并尽快解决，同时将妥善处理由此给您造成的影响。

## 您可以做什么

目前您无需任何操作。如有疑问，请通过我们的常用客服渠道联系我们。

## 后续通知

最新进展请见 {{ inputs.info_url }}；问题解决后，我们将再次通知您。

{{ roles['comms-lead'] or '客户服务团队' }}
""",
    "status-update.md.j2": """\
{# 发布在服务状态页：哪些功能不可用、影响哪些用户、下次更新时间。 #}
{% if incident.drill %}
【演练，请勿发布】

{% endif %}
**{{ inputs.affected_service }}：{{ '我们正在处理一个故障' if incident.status == 'open' else '已恢复' }}**
（{{ now | datetime(locale) }}）

{% if incident.status == 'open' %}
{{ inputs.issue_summary }} 非常抱歉，我们的工程师正在全力处理，本页面至少每30分钟更新一次。
{% else %}
{{ inputs.affected_service }}已恢复正常，给您带来不便，我们深表歉意。故障原因及改进措施将在 {{ inputs.info_url }} 公布。
{% endif %}
""",
    "regulator-notice.md.j2": """\
{# 向履行个人信息保护职责的部门（网信部门）报告：《个人信息保护法》第五十七条。须经法务审批。 #}
Subject: {% if incident.drill %}【演练，请勿报送】{% endif %}个人信息安全事件报告 - {{ incident.id }}

"""
    + _DRILL_NOTICE
    + """
属地网信部门：

依据《中华人民共和国个人信息保护法》第五十七条，现报告我单位发生的个人信息安全事件。

- 我方编号：{{ incident.id }}
- 发现时间：{{ incident.declared_at | datetime(locale) }}
- 事件概况：{{ inputs.issue_summary }}
- 涉及的个人信息种类：{{ inputs.data_types | human_list(locale) }}
- 涉及个人数量（估计）：{{ inputs.affected_customers }}

我单位已采取补救措施，正在通知受影响的个人，并将随调查进展续报。

{{ roles['legal'] or '法务合规部' }}
""",
    "authority-notice.md.j2": """\
{# 向市场监督管理部门报告缺陷及召回计划（《消费品召回管理暂行规定》）。须经法务审批。 #}
Subject: {% if incident.drill %}【演练，请勿报送】{% endif %}{{ inputs.product_name }}召回报告 - {{ incident.id }}

"""
    + _DRILL_NOTICE
    + """
市场监督管理局：

现报告{{ inputs.product_name }}存在的安全问题。

- 我方编号：{{ incident.id }}
- 发现时间：{{ incident.declared_at | datetime(locale) }}
- 已知情况：{{ inputs.issue_summary }}
- 可能持有该产品的消费者（估计）：{{ inputs.affected_customers }}

我司已停止销售和发运受影响批次，召回计划确定后将立即报送。

{{ roles['legal'] or '法务合规部' }}
""",
    "holding-statement.txt.j2": """\
{# 一小时内的首次公开回应：我们已关注、高度重视、何时进一步说明。 #}
{% if incident.drill %}【演练，请勿发布】{% endif %}
我们已关注到关于“{{ inputs.topic }}”的讨论，高度重视，正在核实情况，将在24小时内在此更新：{{ inputs.info_url }}
""",
    "key-account-letter.md.j2": """\
{# 由客户经理署名、致每一位重点客户的亲笔信。 #}
{% if incident.drill %}【演练，请勿寄出】

{% endif %}
尊敬的客户：

感谢您抽出时间让我们倾听您的意见。您是我们最重要的客户之一，而我们没有达到您的期望。

{{ inputs.issue_summary }}

以下是我们将作出的改进及完成时间。{{ roles['account-manager'] or '您的客户经理' }}
将在本周与您通电话，逐项说明，并听取您认为我们还需改进之处。

此致
敬礼！

{{ roles['incident-lead'] or '管理团队' }}
""",
}
