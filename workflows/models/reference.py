"""Reference data: organisations, municipal departments, special projects, funding calls."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..credit_code import validate_credit_code
from ..money import MONEY
from ..review_path import Role
from .attachment import AttachmentKind
from .audit import AppendOnlyModel, AppendOnlyQuerySet


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    UNIVERSITY = "university", _("高等院校")
    RESEARCH_INSTITUTE = "research_institute", _("科研院所")
    CAS_INSTITUTE = "cas_institute", _("中国科学院院所")
    CENTRAL_ENTERPRISE = "central_enterprise", _("中央企业集团")


class DistrictKind(models.TextChoices):
    DISTRICT = "district", _("区")
    DEVELOPMENT_ZONE = "development_zone", _("开发区")
    PARK = "park", _("园区")
    OUTSIDE = "outside", _("京外")


class District(models.Model):
    """Where an organisation is registered and where a project lands: Beijing's districts, the
    Economic-Technological Development Area, the parks, and "outside Beijing". Data, not code:
    administrators add parks in the back office. The primary key is the code that requests and
    organisations have always stored."""

    OUTSIDE_BEIJING = "outside"

    code = models.SlugField(_("代码"), max_length=32, primary_key=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=DistrictKind.choices)
    counted_as = models.CharField(
        _("统计口径"),
        max_length=100,
        blank=True,
        help_text=_("配套资金政策和统计按哪个区计（园区填所在区；京外留空）。"),
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("可选"), default=True, help_text=_("申报单位可以选择。"))

    class Meta:
        verbose_name = _("区与园区")
        verbose_name_plural = _("区与园区")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name

    def clean(self) -> None:
        if self.kind == DistrictKind.OUTSIDE:
            if self.counted_as:
                raise ValidationError({"counted_as": _("京外不计入任何区。")})
        elif not self.counted_as:
            raise ValidationError({"counted_as": _("请填写统计口径（所在区）。")})

    @property
    def in_beijing(self) -> bool:
        return self.kind != DistrictKind.OUTSIDE


class Organisation(models.Model):
    """An applicant organisation (申报单位)."""

    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    kind = models.CharField(_("单位类型"), max_length=32, choices=OrganisationKind.choices)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        db_column="district",
        related_name="organisations",
        limit_choices_to={"active": True},
        verbose_name=_("所在区"),
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    affiliation_group = models.CharField(
        _("所属集团或系统"),
        max_length=200,
        blank=True,
        help_text=_("如中国科学院、某中央企业集团；同一集团或系统的专家自动回避。"),
    )

    class Meta:
        verbose_name = _("申报单位")
        verbose_name_plural = _("申报单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def registered_in_beijing(self) -> bool:
        return self.district_id != District.OUTSIDE_BEIJING


class Department(models.Model):
    """A municipal department; some are lead departments (牵头部门) of special projects."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("市级部门")
        verbose_name_plural = _("市级部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SpecialProject(models.Model):
    """A national major S&T special project (国家科技重大专项) and its lead department."""

    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200)
    lead_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="led_special_projects",
        verbose_name=_("牵头部门"),
    )

    class Meta:
        verbose_name = _("国家科技重大专项")
        verbose_name_plural = _("国家科技重大专项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


# Where a call keeps its special projects' codes once read (``special_project_codes``).
COVERED_CODES = "_covered_codes"


class FundingCall(models.Model):
    """A call for matching-fund requests: a year, a submission window and a budget."""

    year = models.PositiveIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    opens_at = models.DateTimeField(_("开始受理"))
    closes_at = models.DateTimeField(_("截止受理"))
    total_budget = models.DecimalField(_("总预算(元)"), **MONEY)
    special_projects = models.ManyToManyField(
        SpecialProject, related_name="calls", verbose_name=_("覆盖的专项"), blank=True
    )
    experts_required = models.PositiveSmallIntegerField(
        _("每项申请评审专家数"), default=3, validators=[MinValueValidator(1)]
    )
    lead_days = models.PositiveSmallIntegerField(_("牵头部门办理时限(天)"), default=15)
    group_days = models.PositiveSmallIntegerField(_("审核工作小组办理时限(天)"), default=30)
    meeting_days = models.PositiveSmallIntegerField(_("联席会议办理时限(天)"), default=60)
    escalate_after_days = models.PositiveSmallIntegerField(
        _("逾期后升级天数"),
        default=5,
        help_text=_("任务逾期并提醒后，再过这些天仍未办理即升级至该环节负责人。"),
    )
    notice_working_days = models.PositiveSmallIntegerField(
        _("公示期(工作日)"), default=5, validators=[MinValueValidator(1)]
    )
    required_attachment_kinds = models.JSONField(
        _("必须上传的材料"),
        default=list,
        blank=True,
        help_text=_("申请提交前必须上传的材料类型；有申请提交后不可再改。"),
    )

    class Meta:
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        ordering = ["-year", "-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="call_window_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(total_budget__gte=0), name="call_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def special_project_codes(self) -> tuple[str, ...]:
        """The codes of the special projects the call covers, in order: as they were read with
        a request's locked row (``transitions.locked_application``), else in one query."""
        codes: tuple[str, ...] | None = self.__dict__.get(COVERED_CODES)
        if codes is None:
            codes = self.__dict__[COVERED_CODES] = tuple(
                self.special_projects.order_by("code").values_list("code", flat=True)
            )
        return codes

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("截止时间必须晚于开始时间。")})
        kinds = self.required_attachment_kinds
        if not isinstance(kinds, list) or not set(kinds) <= set(AttachmentKind.values):
            raise ValidationError({"required_attachment_kinds": _("材料类型无效。")})
        if self.pk is not None and self.has_submissions():
            stored = FundingCall.objects.get(pk=self.pk).required_attachment_kinds
            if sorted(stored) != sorted(kinds):
                raise ValidationError(
                    {
                        "required_attachment_kinds": _(
                            "已有申请提交到本批次，必须上传的材料不可再改。"
                        )
                    }
                )

    def has_submissions(self) -> bool:
        """Has a request ever been submitted to this call? Its rubric and required
        attachments are then frozen, as a used policy version is."""
        return self.applications.filter(submitted_at__isnull=False).exists()

    def is_open(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at <= self.closes_at


class Profile(models.Model):
    """What a user is in the programme: their role and the body they act for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("所属单位"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        verbose_name=_("所属部门"),
    )
    is_head = models.BooleanField(
        _("环节负责人"),
        default=False,
        help_text=_("接收逾期升级并可改派本环节任务（如牵头部门负责人、审核工作小组组长）。"),
    )
    administers_organisation = models.BooleanField(
        _("单位管理员"),
        default=False,
        help_text=_("申报单位的管理员：添加和移除本单位的用户。"),
    )

    class Meta:
        verbose_name = _("用户角色")
        verbose_name_plural = _("用户角色")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=Role.APPLICANT) | models.Q(organisation__isnull=False),
                name="applicant_belongs_to_an_organisation",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.LEAD_OFFICER) | models.Q(department__isnull=False),
                name="lead_officer_belongs_to_a_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ActingHead(AppendOnlyModel):
    """A tier's head names an acting person for a period: escalations and the head's own
    actions (reassigning) go to them meanwhile. Written once, never changed or removed (the ORM
    refuses, and database triggers on both engines): a new period is a new row, and ending a
    period early is an ``ActingHeadEnding`` beside it, so the record of who stood in for whom
    stays."""

    objects = AppendOnlyQuerySet["ActingHead"].as_manager()

    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="acting_heads_named",
        verbose_name=_("负责人"),
    )
    acting = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="acting_for",
        verbose_name=_("代理人"),
    )
    starts_on = models.DateField(_("代理开始日期"))
    ends_on = models.DateField(_("代理结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    named_at = models.DateTimeField(_("指定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("代理负责人")
        verbose_name_plural = _("代理负责人")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="acting_period_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(head=models.F("acting")), name="acting_head_is_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.acting} → {self.head} ({self.starts_on} – {self.ends_on})"


class ActingHeadEnding(AppendOnlyModel):
    """A head ends an acting period before its last day: from ``ended_on`` the acting person no
    longer stands in. Written once, like the naming it ends (database triggers on both
    engines)."""

    objects = AppendOnlyQuerySet["ActingHeadEnding"].as_manager()

    appointment = models.OneToOneField(
        ActingHead, on_delete=models.PROTECT, related_name="ending", verbose_name=_("代理")
    )
    ended_on = models.DateField(_("终止日期"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("终止人"),
    )
    at = models.DateTimeField(_("终止时间"), default=timezone.now)

    class Meta:
        verbose_name = _("代理终止")
        verbose_name_plural = _("代理终止")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.appointment} ⨯ {self.ended_on}"
