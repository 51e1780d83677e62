import pytest

from longcut.errors import InputError
from longcut.models.backends import registry
from longcut.models.backends.base import VideoModel


def test_custom_backend_by_module_and_class():
    registry.forget_loaded_backends()
    model = registry.load_backend("tests.fakes:WorldOracleModel")
    assert isinstance(model, VideoModel) and model.info.name == "oracle"


@pytest.mark.parametrize("name, needle", [
    ("nope", "unknown model 'nope'"),
    ("os:no_such_thing", "cannot load custom backend"),
    ("os:path", "cannot construct custom backend"),
    ("collections:OrderedDict", "does not implement the VideoModel protocol"),
    ("rm -rf /", "unknown model"),
])
def test_bad_backend_names(name, needle):
    registry.forget_loaded_backends()
    with pytest.raises(InputError, match=needle):
        registry.load_backend(name)


def test_a_backend_loads_once_however_its_arguments_are_spelt(tmp_path, monkeypatch):
    from tests.fakes import WorldOracleModel

    loads = []
    monkeypatch.setitem(registry.LOADERS, "counted", lambda weights: loads.append(weights) or WorldOracleModel())
    registry.forget_loaded_backends()
    first = registry.load_backend("counted")
    assert registry.load_backend("counted", None) is first and registry.load_backend("counted", weights=None) is first
    folder = registry.load_backend("counted", tmp_path)
    assert registry.load_backend("counted", str(tmp_path)) is folder and folder is not first
    assert loads == [None, tmp_path]
    registry.forget_loaded_backends()
