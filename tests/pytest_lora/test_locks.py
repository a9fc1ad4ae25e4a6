"""``assert_matches_lock`` as a snapshot: record with ``--lora-update-locks``, fail on drift, name the field."""

from __future__ import annotations

import json

import pytest

LOCKED_TEST = """
    import lora_models
    from pytest_lora import assert_matches_lock

    def test_locked():
        assert_matches_lock(lora_models.model(r=8, lora_alpha=ALPHA), "locks/lora.lock.json")
"""


def _write_test(pytester: pytest.Pytester, alpha: int) -> None:
    pytester.makepyfile(test_locked=LOCKED_TEST.replace("ALPHA", str(alpha)))


def test_a_missing_lock_fails_and_says_how_to_record_it(lora_pytester: pytest.Pytester) -> None:
    _write_test(lora_pytester, 16)
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E * assert_matches_lock: lock file */locks/lora.lock.json does not exist. Run pytest with --lora-update-locks*"]
    )
    assert not (lora_pytester.path / "locks").exists()


def test_update_locks_records_the_lock_next_to_the_test_and_then_it_holds(lora_pytester: pytest.Pytester) -> None:
    _write_test(lora_pytester, 16)
    result = lora_pytester.runpytest("--lora-update-locks")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*lora-lint: 1 lock(s) written (--lora-update-locks)*", "  locks/lora.lock.json"])
    lock = json.loads((lora_pytester.path / "locks" / "lora.lock.json").read_text())
    assert lock["adapters"]["default"]["config"]["lora_alpha"] == 16
    lora_pytester.runpytest().assert_outcomes(passed=1)


def test_an_alpha_changed_after_the_lock_fails_naming_the_field_and_both_values(lora_pytester: pytest.Pytester) -> None:
    _write_test(lora_pytester, 16)
    lora_pytester.runpytest("--lora-update-locks").assert_outcomes(passed=1)
    _write_test(lora_pytester, 32)
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * assert_matches_lock: 1 problem(s) in *",
            "E * LORA304 [[]error[]] alpha-changed-after-training *lora_alpha*",
            "E *16*32*",
            "E * If the change is intended, run pytest with --lora-update-locks to re-record */locks/lora.lock.json.",
        ]
    )
    result.stdout.no_fnmatch_line("*lora_lint/lock/*")


def test_update_locks_rewrites_a_drifted_lock_and_leaves_a_matching_one_alone(lora_pytester: pytest.Pytester) -> None:
    _write_test(lora_pytester, 16)
    lora_pytester.runpytest("--lora-update-locks").assert_outcomes(passed=1)
    lock_file = lora_pytester.path / "locks" / "lora.lock.json"
    recorded = lock_file.read_text()
    again = lora_pytester.runpytest("--lora-update-locks")
    again.assert_outcomes(passed=1)
    again.stdout.no_fnmatch_line("*lock(s) written*")
    assert lock_file.read_text() == recorded
    _write_test(lora_pytester, 32)
    lora_pytester.runpytest("--lora-update-locks").stdout.fnmatch_lines(["*1 lock(s) written*"])
    assert json.loads(lock_file.read_text())["adapters"]["default"]["config"]["lora_alpha"] == 32
    lora_pytester.runpytest().assert_outcomes(passed=1)


def test_a_saved_adapter_folder_is_checked_against_its_lock(lora_pytester: pytest.Pytester) -> None:
    lora_pytester.makepyfile(
        """
        import pytest
        import lora_models
        from pytest_lora import assert_matches_lock

        @pytest.fixture
        def adapter(tmp_path):
            lora_models.model(r=8, lora_alpha=16).save_pretrained(tmp_path / "adapter")
            return tmp_path / "adapter"

        def test_saved(adapter, tmp_path):
            lock = tmp_path / "lora.lock.json"
            import lora_lint.lock
            lora_lint.lock.write_lock(lora_models.model(r=8, lora_alpha=16), lock)
            assert_matches_lock(adapter, lock)

        def test_saved_with_other_rank(adapter, tmp_path):
            lock = tmp_path / "lora.lock.json"
            import lora_lint.lock
            lora_lint.lock.write_lock(lora_models.model(r=4, lora_alpha=16), lock)
            assert_matches_lock(adapter, lock)
        """
    )
    result = lora_pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E * LORA304 *"])


def test_a_malformed_lock_fails_with_the_reason_and_no_internals(lora_pytester: pytest.Pytester) -> None:
    _write_test(lora_pytester, 16)
    (lora_pytester.path / "locks").mkdir()
    (lora_pytester.path / "locks" / "lora.lock.json").write_text("{not json")
    result = lora_pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * assert_matches_lock: lock file */lora.lock.json is not valid JSON*"])
    result.stdout.no_fnmatch_line("*lora_lint/lock/*")
    lora_pytester.runpytest("--lora-update-locks").assert_outcomes(passed=1)
    lora_pytester.runpytest().assert_outcomes(passed=1)
