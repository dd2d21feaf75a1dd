"""The executor is chosen by the environment when a run starts, and the instance
admits one step per pool: the settings that move omnihub onto Celery workers."""

from __future__ import annotations

import importlib.util

import pytest

from orchestration.executor import CelerySettings, executor_kind, omnihub_executor
from orchestration.instance import instance_config
from warehouse.connection import advisory_key


def test_in_process_unless_celery_is_asked_for() -> None:
    assert executor_kind({}) == "in_process"
    assert executor_kind({"OMNIHUB_EXECUTOR": "Celery"}) == "celery"
    with pytest.raises(ValueError, match="in_process or celery"):
        executor_kind({"OMNIHUB_EXECUTOR": "k8s"})


def test_the_requirements_follow_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNIHUB_EXECUTOR", raising=False)
    assert omnihub_executor.get_requirements({}) == []
    monkeypatch.setenv("OMNIHUB_EXECUTOR", "celery")
    names = {r.name for r in omnihub_executor.get_requirements({})}
    assert {"RECONSTRUCTABLE_PIPELINE", "NON_EPHEMERAL_INSTANCE"} <= names


def test_results_go_back_where_the_broker_can_carry_them() -> None:
    rabbit = CelerySettings.from_env({"OMNIHUB_CELERY_BROKER_URL": "pyamqp://g:secret@h:5672//"})
    assert rabbit.backend == "rpc://" and rabbit.queue == "dagster"
    redis = CelerySettings.from_env(
        {"OMNIHUB_CELERY_BROKER_URL": "redis://h:6379/3", "OMNIHUB_CELERY_QUEUE": "team_a"}
    )
    assert redis.backend == "redis://h:6379/3" and redis.queue == "team_a"
    assert "secret" not in rabbit.describe()


@pytest.mark.skipif(importlib.util.find_spec("dagster_celery") is None, reason="no celery extra")
def test_workers_take_one_step_at_a_time_from_the_configured_queue() -> None:
    source = CelerySettings("redis://h:6379/3", "redis://h:6379/3", "team_a").config_source()
    assert source["task_default_queue"] == "team_a"
    assert source["worker_prefetch_multiplier"] == 1


def test_every_pool_admits_one_step_unless_raised() -> None:
    assert instance_config({})["concurrency"] == {"pools": {"default_limit": 1}}


def test_advisory_keys_are_stable_and_distinct() -> None:
    assert advisory_key("cursor:shopify/orders") == advisory_key("cursor:shopify/orders")
    assert advisory_key("cursor:shopify/orders") != advisory_key("cursor:shopify/customers")
    assert -(2**63) <= advisory_key("sync:x") < 2**63
