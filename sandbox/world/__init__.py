"""A deterministic omnichannel retail world, with the ground truth kept apart."""

from sandbox.world.config import NoiseConfig
from sandbox.world.generate import AdvanceInfo, WorldInfo, advance, generate

__all__ = ["AdvanceInfo", "NoiseConfig", "WorldInfo", "advance", "generate"]
