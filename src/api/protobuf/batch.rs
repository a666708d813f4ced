//! The `batch/v1` group: Job and CronJob.
//!
//! Field numbers from `k8s.io/api/batch/v1/generated.proto`. Most JobSpec and CronJobSpec
//! scalars are Go pointers whose explicit zero matters (`backoffLimit: 0`, `suspend: false`), so
//! they are `keep`.

use super::core::{OBJECT_REFERENCE, POD_TEMPLATE_SPEC};
use super::meta::{LABEL_SELECTOR, OBJECT_META};
use super::Ty::{Bool, Msg, Str, Time, I32, I64};
use super::{field, keep, list, Message};

pub(super) static JOB: Message = Message {
    name: "Job",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&JOB_SPEC)),
        field(3, "status", Msg(&JOB_STATUS)),
    ],
};

pub(super) static CRON_JOB: Message = Message {
    name: "CronJob",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&CRON_JOB_SPEC)),
        field(3, "status", Msg(&CRON_JOB_STATUS)),
    ],
};

static JOB_SPEC: Message = Message {
    name: "JobSpec",
    fields: &[
        keep(1, "parallelism", I32),
        keep(2, "completions", I32),
        keep(3, "activeDeadlineSeconds", I64),
        field(11, "podFailurePolicy", Msg(&POD_FAILURE_POLICY)),
        field(16, "successPolicy", Msg(&SUCCESS_POLICY)),
        keep(7, "backoffLimit", I32),
        keep(12, "backoffLimitPerIndex", I32),
        keep(13, "maxFailedIndexes", I32),
        field(4, "selector", Msg(&LABEL_SELECTOR)),
        keep(5, "manualSelector", Bool),
        field(6, "template", Msg(&POD_TEMPLATE_SPEC)),
        keep(8, "ttlSecondsAfterFinished", I32),
        keep(9, "completionMode", Str),
        keep(10, "suspend", Bool),
        keep(14, "podReplacementPolicy", Str),
        keep(15, "managedBy", Str),
    ],
};

static POD_FAILURE_POLICY: Message = Message {
    name: "PodFailurePolicy",
    fields: &[list(1, "rules", Msg(&POD_FAILURE_POLICY_RULE))],
};

static POD_FAILURE_POLICY_RULE: Message = Message {
    name: "PodFailurePolicyRule",
    fields: &[
        keep(1, "action", Str),
        field(2, "onExitCodes", Msg(&ON_EXIT_CODES)),
        list(3, "onPodConditions", Msg(&ON_POD_CONDITIONS_PATTERN)),
    ],
};

static ON_EXIT_CODES: Message = Message {
    name: "PodFailurePolicyOnExitCodesRequirement",
    fields: &[
        keep(1, "containerName", Str),
        keep(2, "operator", Str),
        list(3, "values", I32),
    ],
};

static ON_POD_CONDITIONS_PATTERN: Message = Message {
    name: "PodFailurePolicyOnPodConditionsPattern",
    fields: &[keep(1, "type", Str), field(2, "status", Str)],
};

static SUCCESS_POLICY: Message = Message {
    name: "SuccessPolicy",
    fields: &[list(1, "rules", Msg(&SUCCESS_POLICY_RULE))],
};

static SUCCESS_POLICY_RULE: Message = Message {
    name: "SuccessPolicyRule",
    fields: &[
        keep(1, "succeededIndexes", Str),
        keep(2, "succeededCount", I32),
    ],
};

static JOB_STATUS: Message = Message {
    name: "JobStatus",
    fields: &[
        list(1, "conditions", Msg(&JOB_CONDITION)),
        keep(2, "startTime", Time),
        keep(3, "completionTime", Time),
        field(4, "active", I32),
        field(5, "succeeded", I32),
        field(6, "failed", I32),
        keep(11, "terminating", I32),
        field(7, "completedIndexes", Str),
        keep(10, "failedIndexes", Str),
        field(
            8,
            "uncountedTerminatedPods",
            Msg(&UNCOUNTED_TERMINATED_PODS),
        ),
        keep(9, "ready", I32),
    ],
};

static JOB_CONDITION: Message = Message {
    name: "JobCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "lastProbeTime", Time),
        field(4, "lastTransitionTime", Time),
        field(5, "reason", Str),
        field(6, "message", Str),
    ],
};

static UNCOUNTED_TERMINATED_PODS: Message = Message {
    name: "UncountedTerminatedPods",
    fields: &[list(1, "succeeded", Str), list(2, "failed", Str)],
};

static CRON_JOB_SPEC: Message = Message {
    name: "CronJobSpec",
    fields: &[
        keep(1, "schedule", Str),
        keep(8, "timeZone", Str),
        keep(2, "startingDeadlineSeconds", I64),
        field(3, "concurrencyPolicy", Str),
        keep(4, "suspend", Bool),
        field(5, "jobTemplate", Msg(&JOB_TEMPLATE_SPEC)),
        keep(6, "successfulJobsHistoryLimit", I32),
        keep(7, "failedJobsHistoryLimit", I32),
    ],
};

static JOB_TEMPLATE_SPEC: Message = Message {
    name: "JobTemplateSpec",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&JOB_SPEC)),
    ],
};

static CRON_JOB_STATUS: Message = Message {
    name: "CronJobStatus",
    fields: &[
        list(1, "active", Msg(&OBJECT_REFERENCE)),
        keep(4, "lastScheduleTime", Time),
        keep(5, "lastSuccessfulTime", Time),
    ],
};
