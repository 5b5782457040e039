"""The matching-fund policy as stored: its versions, each call's pooled balances, and the split
of every approved amount by funding department and by form.

A policy version is kept as the text it was loaded from (the evaluator's compiled form holds
closures and is rebuilt per process from that text, see ``approvals.policy_store``). Once a
decision has used a version (``used_at`` is set in that decision's transaction) the row is
frozen: the model and its queryset refuse to change or delete it, and on PostgreSQL a trigger
does too. Changing a used policy means loading a new version.
"""

import datetime
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class PolicyVersionInUseError(Exception):
    """Code tried to change or remove a policy version that a decision has used."""


class MatchingPolicyVersionQuerySet(models.QuerySet["MatchingPolicyVersion"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(used_at__isnull=False).exists():
            raise PolicyVersionInUseError("a policy version used by a decision cannot be changed")
        return super().update(**kwargs)

    def freeze(self, at: datetime.datetime) -> int:
        """Mark the versions no decision has used yet as used ``at``: the one change a used
        version takes, so it needs no check for one."""
        return models.QuerySet.update(self.filter(used_at__isnull=True), used_at=at)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(used_at__isnull=False).exists():
            raise PolicyVersionInUseError("a policy version used by a decision cannot be deleted")
        return super().delete()

    def active(self) -> "MatchingPolicyVersionQuerySet":
        return self.filter(active=True)

    def in_force_on(self, day: datetime.date) -> "MatchingPolicyVersionQuerySet":
        """Active versions whose effective period includes ``day``."""
        return self.filter(active=True, effective_from__lte=day).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class MatchingPolicyVersion(models.Model):
    """One version of the matching-fund policy (配套资金政策), as loaded from its document."""

    name = models.CharField(_("政策名称"), max_length=200)
    version = models.CharField(_("版本"), max_length=64)
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    source_text = models.TextField(_("政策文件"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    notice = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(
        _("已启用"), default=False, help_text=_("只有已启用的版本才会在其生效期内适用。")
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    used_at = models.DateTimeField(
        _("首次用于决定"),
        null=True,
        blank=True,
        help_text=_("一经决定使用，该版本不得再修改或删除。"),
    )

    objects = MatchingPolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("配套资金政策版本")
        verbose_name_plural = _("配套资金政策版本")
        ordering = ["-effective_from", "name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="policy_version_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="policy_period_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk).values_list("used_at", flat=True)
            if any(used is not None for used in stored):
                raise PolicyVersionInUseError(
                    f"policy {self} was used by a decision and cannot be changed"
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if type(self)._base_manager.filter(pk=self.pk, used_at__isnull=False).exists():
            raise PolicyVersionInUseError(
                f"policy {self} was used by a decision and cannot be deleted"
            )
        return super().delete(*args, **kwargs)

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


class PoolBalance(models.Model):
    """What one funding department still has in one call's pool under one policy version.

    Created from the policy's budget at the call's first meeting that draws on it; lowered
    in the same transaction as the meeting's resolutions (the approvals reserve it).
    ``disbursed`` is what has actually been paid out of the reserved part, tranche by tranche.
    """

    call = models.ForeignKey(
        "workflows.FundingCall", on_delete=models.PROTECT, related_name="pool_balances"
    )
    policy = models.ForeignKey(
        MatchingPolicyVersion, on_delete=models.PROTECT, related_name="pool_balances"
    )
    department_code = models.CharField(_("出资部门代码"), max_length=64)
    department_name = models.CharField(_("出资部门"), max_length=200)
    budget = models.DecimalField(_("预算(元)"), **MONEY)
    balance = models.DecimalField(_("余额(元)"), **MONEY)
    disbursed = models.DecimalField(_("已拨付(元)"), default=Decimal(0), **MONEY)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("资金池余额")
        verbose_name_plural = _("资金池余额")
        ordering = ["call", "policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "policy", "department_code"], name="one_balance_per_department"
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("budget")),
                name="pool_balance_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(disbursed__gte=0) & Q(disbursed__lte=F("budget") - F("balance")),
                name="pool_disbursed_within_reserved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.department_code}: {self.balance}"


class DepartmentBudget(models.Model):
    """A funding department's pooled budget for one year, set in the back office. When present
    for a call's year it replaces the budget the policy file states for that department (the
    file's budget stays the default): the pool, the meeting's budget check, the what-if
    simulation and the dashboard all read it (``approvals.budgets``)."""

    department_code = models.CharField(_("出资部门代码"), max_length=64)
    department_name = models.CharField(_("出资部门"), max_length=200)
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(_("年度统筹预算(元)"), **MONEY)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("部门年度统筹预算")
        verbose_name_plural = _("部门年度统筹预算")
        ordering = ["-year", "department_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["department_code", "year"], name="one_budget_per_department_and_year"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="yearly_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department_name}"


class ApprovalSplitQuerySet(models.QuerySet["ApprovalSplit"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PolicyVersionInUseError("an approval's split is part of the decision")

    def delete(self) -> NoReturn:
        raise PolicyVersionInUseError("an approval's split is part of the decision")


class ApprovalSplit(models.Model):
    """How the joint meeting's approved amount for one agenda item is paid: by funding
    department (drawn on the call's pool) and by form (grant / equity), and which policy
    version said so. Written with the meeting's resolutions; never changed afterwards."""

    agenda_item = models.OneToOneField(
        "approvals.AgendaItem", on_delete=models.PROTECT, related_name="funding_split"
    )
    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="funding_splits"
    )
    policy = models.ForeignKey(
        MatchingPolicyVersion, on_delete=models.PROTECT, related_name="approval_splits"
    )
    policy_version = models.CharField(_("政策版本"), max_length=64)
    policy_content_hash = models.CharField(_("政策内容哈希"), max_length=64)
    amount = models.DecimalField(_("批准金额(元)"), **MONEY)
    grant_amount = models.DecimalField(_("无偿资助(元)"), **MONEY)
    equity_amount = models.DecimalField(_("股权投资(元)"), **MONEY)
    by_department = models.JSONField(
        _("出资部门分担"), help_text="[{code, name_zh, name_en, amount}] in the pool's order"
    )
    form_rule = models.JSONField(
        _("支持方式依据"), default=dict, blank=True, help_text="{rule_id, case, share}"
    )
    draw_position = models.PositiveIntegerField(_("资金池支取顺序"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = ApprovalSplitQuerySet.as_manager()

    class Meta:
        verbose_name = _("批准金额分担")
        verbose_name_plural = _("批准金额分担")
        ordering = ["agenda_item"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount=F("grant_amount") + F("equity_amount")),
                name="split_forms_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.amount} ({self.policy_version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PolicyVersionInUseError("an approval's split is part of the decision")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PolicyVersionInUseError("an approval's split is part of the decision")
