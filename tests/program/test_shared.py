"""The shared infrastructure's security settings under mocks (components/resources/shared.py): the alert
topic's encryption, and what Security Hub's controls check on the lock table and the cluster
(docs/security.md, "Security Hub controls")."""

from __future__ import annotations

import json

from components.documents.topic_key import created_key_policy
from components.model.arns import AwsEnv
from tests.conftest import SIMPLE_JOB
from tests.support.pulumi_mocks import ACCOUNT, BASE_CONFIG, KEY_ID, Project, run_program

P = "scheduled-jobs:"
KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/0a1b2c3d-12ab-34cd-56ef-1234567890ab"


def test_an_encrypted_stack_topic_gets_a_rotated_key_with_the_rendered_policy_and_its_alias(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, {**BASE_CONFIG, P + "encryptAlarmTopic": True})
    key = mocks.one("aws:kms/key:Key", "shared-alarm-topic-key")
    assert key.inputs["enableKeyRotation"] is True
    assert json.loads(key.inputs["policy"]) == created_key_policy(AwsEnv("aws", "eu-central-1", ACCOUNT))
    assert key.options.get("retain_on_delete") is True
    alias = mocks.one("aws:kms/alias:Alias", "shared-alarm-topic-key-alias")
    assert alias.inputs == {"name": "alias/test-job-alarms", "targetKeyId": KEY_ID}
    topic = mocks.one("aws:sns/topic:Topic", "shared-alarms")
    assert topic.inputs["kmsMasterKeyId"] == f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/{KEY_ID}"


def test_the_stack_topic_is_encrypted_with_a_named_key_and_no_key_is_created(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, {**BASE_CONFIG, P + "alarmTopicKmsKeyArn": KEY})
    assert mocks.of_type("aws:kms/key:Key") == []
    assert mocks.one("aws:sns/topic:Topic", "shared-alarms").inputs["kmsMasterKeyId"] == KEY


def test_by_default_the_topic_is_not_encrypted_and_no_key_is_created(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.of_type("aws:kms/key:Key") == []
    assert "kmsMasterKeyId" not in mocks.one("aws:sns/topic:Topic", "shared-alarms").inputs


def test_the_lock_table_has_deletion_protection_and_point_in_time_recovery(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    table = run_program(project, BASE_CONFIG).one("aws:dynamodb/table:Table", "shared-locks")
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}


def test_the_cluster_the_stack_creates_has_container_insights_as_the_stack_sets_it(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    for setting, expected in ((None, "enabled"), ("enhanced", "enhanced"), ("disabled", "disabled")):
        config = BASE_CONFIG if setting is None else {**BASE_CONFIG, P + "containerInsights": setting}
        cluster = run_program(project, config).one("aws:ecs/cluster:Cluster", "shared-cluster")
        assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": expected}]
