"""Rotations and segment frames of the 3D body model (OpenSim joint-angle conventions), the two-link
knee and the upper body."""

from __future__ import annotations

import numpy as np

from ..model import LM
from .params import GaitParams
from .templates import SIDES


def rot(axis: int, deg) -> np.ndarray:
    """(…, 3, 3) rotation about world axis 0/1/2 (x/y/z) by ``deg`` (right-hand rule)."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[..., axis, axis] = 1.0
    R[..., i, i] = R[..., j, j] = c
    R[..., i, j], R[..., j, i] = -s, s
    return R


def flex(deg) -> np.ndarray:
    """OpenSim's rotation about the lateral (right) axis: + turns forward-pointing vectors up, hanging
    segments forward (hip flexion, ankle dorsiflexion; knee_angle < 0 = flexion)."""
    return rot(1, -np.asarray(deg, dtype=float))


def mv(R, v) -> np.ndarray:
    """R·v for stacks of matrices (…, 3, 3) and vectors (…, 3) or (3,). Elementwise, as ``R @ v`` goes
    through BLAS, whose result depends on the memory alignment (the walks would not be reproducible)."""
    v = np.asarray(v, dtype=float)
    return R[..., :, 0] * v[..., None, 0] + R[..., :, 1] * v[..., None, 1] + R[..., :, 2] * v[..., None, 2]


def components(v) -> np.ndarray:
    """The components of vectors (…, k) as k contiguous arrays. numpy's SIMD arctan2, arcsin, … choose
    their code path (results differing in the last bit) by whether the memory span of a strided input
    could overlap the output: contiguous inputs keep the results independent of the heap layout."""
    return np.ascontiguousarray(np.moveaxis(v, -1, 0))


def ypr(R) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yaw, pitch (toe up +), roll (deg) of foot frames R = rot_z(yaw)·flex(pitch)·rot_x(roll)."""
    ux, uy, uz = components(R[..., :, 0])
    yaw = np.degrees(np.arctan2(uy, ux))
    pitch = np.degrees(np.arcsin(np.clip(uz, -1, 1)))
    Rr = np.swapaxes(rot(2, yaw) @ flex(pitch), -1, -2) @ R
    _, ry, rz = components(Rr[..., :, 1])
    return yaw, pitch, np.degrees(np.arctan2(rz, ry))


def pelvis_frame(body) -> np.ndarray:
    """Pelvis orientation (…, 3, 3) from the body angles ``pelvis_tilt``, ``pelvis_list``, ``pelvis_rotation``."""
    return flex(body["pelvis_tilt"]) @ rot(0, body["pelvis_list"]) @ rot(2, body["pelvis_rotation"])


def trunk_frame(body, Rp, lumbar_sideways: bool = True) -> np.ndarray:
    """Trunk orientation (…, 3, 3): the trunk leans of the patterns, then pelvis ``Rp`` and the lumbar
    extension, bending and rotation (``lumbar_sideways`` False: extension only)."""
    R = rot(1, body["trunk_forward_lean"]) @ rot(0, -body["trunk_lean_left"]) @ Rp @ flex(body["lumbar_extension"])
    return R @ rot(0, body["lumbar_bending"]) @ rot(2, body["lumbar_rotation"]) if lumbar_sideways else R


def leg_chain(Rp, L, side: str, hip_width: float, thigh: float, shank: float):
    """(shank frame, hip, knee, ankle) of one leg relative to the pelvis origin, from pelvis frame ``Rp``
    and the leg's joint angles ``L`` (deg; the ankle is not applied)."""
    sg = 1.0 if side == "right" else -1.0
    Rt = Rp @ flex(L["hip_flexion"]) @ rot(0, sg * L["hip_adduction"]) @ rot(2, sg * L["hip_rotation"])
    Rs = Rt @ rot(0, -sg * L["knee_valgus"]) @ flex(L["knee_angle"])
    hip = mv(Rp, [0.0, -sg * hip_width / 2, 0.0])
    knee = hip + mv(Rt, [0.0, 0.0, -thigh])
    return Rs, hip, knee, knee + mv(Rs, [0.0, 0.0, -shank])


def two_link_knee(hip, ankle, knee_pole, L1, L2) -> np.ndarray:
    """Knee positions (n, 3) for thigh L1 and shank L2 joining ``hip`` and ``ankle``, in the plane of the
    template knee ``knee_pole``. Out of reach: the leg is straight toward the ankle (shank stretched)."""
    d = ankle - hip
    dist = np.linalg.norm(d, axis=1)
    u = d / dist[:, None]
    x = np.clip((L1 ** 2 - L2 ** 2 + dist ** 2) / (2 * dist), -L1, L1)
    hgt = np.sqrt(np.maximum(L1 ** 2 - x ** 2, 0.0))
    v = knee_pole - hip
    v = v - np.sum(v * u, axis=1)[:, None] * u
    v /= np.maximum(np.linalg.norm(v, axis=1), 1e-12)[:, None]
    return hip + x[:, None] * u + hgt[:, None] * v


def upper_body(p: GaitParams, k: dict, P, lm) -> None:
    """Trunk, arms and face landmarks into ``lm`` (n, 33, 3) from FK result ``k`` and pelvis origins ``P``."""
    h, b = p.height_m, k["ang"]["body"]
    pr, sc = p.proportions, p.height_m / 1.75  # face geometry measured on a 1.75 m adult
    Rtr = trunk_frame(b, k["Rp"])
    mid = P + mv(Rtr, [0.0, 0.0, pr.trunk * h])
    for s in SIDES:
        sg, a = (1.0 if s == "right" else -1.0), k["ang"][s]
        sh = mid + mv(Rtr, [0.0, -sg * pr.shoulder_width * h / 2, 0.0])
        Ru = Rtr @ flex(a["shoulder_flexion"]) @ rot(0, np.full(len(P), -sg * p.arm_abduction_deg))
        el = sh + mv(Ru, [0.0, 0.0, -pr.upper_arm * h])
        Rfa = Ru @ flex(a["elbow_flexion"])
        wr = el + mv(Rfa, [0.0, 0.0, -pr.forearm * h])
        lh = pr.hand * h
        for name, v in (("shoulder", sh), ("elbow", el), ("wrist", wr),
                        ("index", wr + mv(Rfa, [0.01 * sc, 0.0, -0.8 * lh])),
                        ("thumb", wr + mv(Rfa, [0.025 * sc, sg * 0.01 * sc, -0.45 * lh])),
                        ("pinky", wr + mv(Rfa, [-0.02 * sc, -sg * 0.005 * sc, -0.7 * lh]))):
            lm[:, LM[f"{s}_{name}"]] = v
    ear_mid = mid + mv(Rtr, [0.0, 0.0, pr.shoulder_to_ear * h])
    face = {"nose": (0.105, 0.0, -0.015)}
    for s, sg in (("left", 1.0), ("right", -1.0)):
        face.update({f"{s}_eye_inner": (0.09, sg * 0.015, 0.015), f"{s}_eye": (0.085, sg * 0.032, 0.015),
                     f"{s}_eye_outer": (0.08, sg * 0.048, 0.015), f"{s}_ear": (0.0, sg * 0.075, 0.0),
                     f"mouth_{s}": (0.085, sg * 0.022, -0.05)})
    for name, off in face.items():
        lm[:, LM[name]] = ear_mid + mv(Rtr, sc * np.asarray(off))
