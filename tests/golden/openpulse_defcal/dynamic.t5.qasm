OPENQASM 3.0;
defcalgrammar "openpulse";
// qdl.pulse_schedule 0.2, device qdl-fake-t5, dt = 2.2222222222e-10 s
// phase convention axis=+phase: a frame phase turns the drive axis by +phase; rz(theta) is shift_phase(frame, -theta)
// gate level: the defcals the circuit uses, then the circuit on physical qubits; its calls placed ALAP on the frames of each defcal give the flat schedule
@qdl {"trainable": true}
input angle[32] theta;
bit[4] c;
@qdl {"format": "qdl.pulse_schedule", "version": "0.2", "device": {"name": "qdl-fake-t5", "dt": 2.2222222222e-10, "timing": {"granularity": 16, "min_length": 64, "pulse_alignment": 16, "acquire_alignment": 16}}, "time_unit": "dt", "phase_convention": "axis=+phase", "final_frame_phases": {"q0_drive": {"op": "sub", "args": [{"op": "neg", "args": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, 4.681822980384689]}, "q1_drive": 1.5707963267948966, "cr1_0": {"op": "sub", "args": [{"op": "neg", "args": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, 4.681822980384689]}}, "source": {"circuit": "dynamic", "qubits": [0, 1, 2], "gates": [{"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [0], "params": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [1], "params": [-1.5707963267948966]}, {"name": "sx", "qubits": [1], "params": []}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [1], "params": [1.5707963267948966]}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "ecr", "qubits": [1, 0], "params": []}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "x", "qubits": [2], "params": [], "condition": {"bits": [0], "value": 0}}, {"name": "x", "qubits": [0], "params": [], "condition": {"bits": [2], "value": 1}}, {"name": "rz", "qubits": [1], "params": [-3.141592653589793]}, {"name": "sx", "qubits": [1], "params": []}, {"name": "rz", "qubits": [1], "params": [1.5707963267948966]}, {"name": "x", "qubits": [1], "params": [], "condition": {"bits": [3], "value": 1}}, {"name": "sx", "qubits": [2], "params": [], "condition": {"bits": [0, 1], "value": 3}}, {"name": "rz", "qubits": [1], "params": [{"param": "theta"}], "condition": {"bits": [1], "value": 1}}, {"name": "sx", "qubits": [0], "params": []}], "measurements": [{"qubit": 0, "bit": 0, "position": 12}, {"qubit": 0, "bit": 2, "position": 13}, {"qubit": 1, "bit": 1, "position": 17}, {"qubit": 1, "bit": 3, "position": 17}, {"qubit": 2, "bit": 1, "position": 21}, {"qubit": 0, "bit": 0, "position": 21}], "layout": {"initial": [0, 1, 2], "final": [0, 1, 2], "swaps": 0}}}
cal {
    @qdl {"kind": "drive", "qubits": [0]}
    port d0;
    @qdl {"kind": "drive", "qubits": [1]}
    port d1;
    @qdl {"kind": "drive", "qubits": [2]}
    port d2;
    @qdl {"kind": "measure", "qubits": [0]}
    port m0;
    @qdl {"kind": "acquire", "qubits": [0]}
    port a0;
    @qdl {"kind": "measure", "qubits": [1]}
    port m1;
    @qdl {"kind": "acquire", "qubits": [1]}
    port a1;
    @qdl {"kind": "measure", "qubits": [2]}
    port m2;
    @qdl {"kind": "acquire", "qubits": [2]}
    port a2;
    extern constant(complex[float[64]], duration) -> waveform;  // (amp, duration)
    extern drag(complex[float[64]], duration, duration, float[64]) -> waveform;  // (amp, duration, sigma, beta)
    extern gaussian_square(complex[float[64]], duration, duration, duration) -> waveform;  // (amp, duration, width, sigma)
    extern capture_v2(frame, waveform) -> bit;  // (frame, integration kernel)
    @qdl {"tracks_qubit": 0}
    frame q0_drive = newframe(d0, 5090200000.0, 0.0);
    @qdl {"tracks_qubit": 1}
    frame q1_drive = newframe(d1, 5245300000.0, 0.0);
    @qdl {"tracks_qubit": 2}
    frame q2_drive = newframe(d2, 5361000000.0, 0.0);
    @qdl {"tracks_qubit": 0}
    frame cr1_0 = newframe(d1, 5090200000.0, 0.0);
    frame m0_frame = newframe(m0, 7301700000.0, 0.0);
    frame a0_frame = newframe(a0, 7301700000.0, 0.0);
    frame m1_frame = newframe(m1, 7393400000.0, 0.0);
    frame a1_frame = newframe(a1, 7393400000.0, 0.0);
    frame m2_frame = newframe(m2, 7360200000.0, 0.0);
    frame a2_frame = newframe(a2, 7360200000.0, 0.0);
    waveform boxcar_22400 = constant(1.0 + 0.0im, 22400dt);
    waveform sx_q0 = drag(0.098964 + 0.0im, 160dt, 32dt, 1.2697);
    waveform sx_q1 = drag(0.098966 + 0.0im, 160dt, 32dt, 1.3479);
    waveform cr_p_q1_q0 = gaussian_square(0.09479 * exp(-3.126011 * 1.0im), 2688dt, 640dt, 512dt);
    waveform cancel_p_q1_q0 = gaussian_square(0.010304 * exp(-3.126239 * 1.0im), 2688dt, 640dt, 512dt);
    waveform x_q1 = drag(0.219177 + 0.0im, 160dt, 28dt, 1.2172);
    waveform cr_m_q1_q0 = gaussian_square(-0.09479 * exp(-3.126011 * 1.0im), 2688dt, 640dt, 512dt);
    waveform cancel_m_q1_q0 = gaussian_square(-0.010304 * exp(-3.126239 * 1.0im), 2688dt, 640dt, 512dt);
    waveform m_q0 = gaussian_square(0.03 + 0.0im, 22400dt, 22144dt, 64dt);
    waveform m_q1 = gaussian_square(0.03 + 0.0im, 22400dt, 22144dt, 64dt);
    waveform x_q2 = drag(0.219163 + 0.0im, 160dt, 28dt, 1.1659);
    waveform x_q0 = drag(0.219158 + 0.0im, 160dt, 28dt, 1.1469);
    waveform sx_q2 = drag(0.098964 + 0.0im, 160dt, 32dt, 1.2907);
    waveform m_q2 = gaussian_square(0.03 + 0.0im, 22400dt, 22144dt, 64dt);
}

defcal ecr $1, $0 {
    play(cr1_0, cr_p_q1_q0);
    play(q0_drive, cancel_p_q1_q0);
    delay[2688dt] q1_drive;
    play(q1_drive, x_q1);
    delay[160dt] cr1_0;
    play(cr1_0, cr_m_q1_q0);
    delay[160dt] q0_drive;
    play(q0_drive, cancel_m_q1_q0);
    shift_phase(q0_drive, 0.030566);
    shift_phase(cr1_0, 0.030566);
    delay[2688dt] q1_drive;
}
defcal rz(angle[32] th) $0 { shift_phase(q0_drive, -th); shift_phase(cr1_0, -th); }
defcal rz(angle[32] th) $1 { shift_phase(q1_drive, -th); }
defcal sx $0 { play(q0_drive, sx_q0); }
defcal sx $1 { play(q1_drive, sx_q1); }
defcal sx $2 { play(q2_drive, sx_q2); }
defcal x $0 { play(q0_drive, x_q0); }
defcal x $1 { play(q1_drive, x_q1); }
defcal x $2 { play(q2_drive, x_q2); }
defcal measure $0 -> bit {
    play(m0_frame, m_q0);
    bit b = capture_v2(a0_frame, boxcar_22400);
    @qdl {}
    delay[1680dt] m0_frame;
    delay[1680dt] a0_frame;
    delay[24080dt] q0_drive;
    return b;
}
defcal measure $1 -> bit {
    play(m1_frame, m_q1);
    bit b = capture_v2(a1_frame, boxcar_22400);
    @qdl {}
    delay[1680dt] m1_frame;
    delay[1680dt] a1_frame;
    delay[24080dt] q1_drive;
    return b;
}
defcal measure $2 -> bit {
    play(m2_frame, m_q2);
    bit b = capture_v2(a2_frame, boxcar_22400);
    @qdl {}
    delay[1680dt] m2_frame;
    delay[1680dt] a2_frame;
    delay[24080dt] q2_drive;
    return b;
}

sx $0;
rz(theta + 3.141592653589793) $0;
sx $0;
rz(-1.5707963267948966) $1;
sx $1;
sx $0;
rz(1.5707963267948966) $1;
rz(1.5707963267948966) $0;
ecr $1, $0;
rz(1.5707963267948966) $0;
sx $0;
rz(1.5707963267948966) $0;
c[0] = measure $0;
if (!c[0]) { x $2; }
c[2] = measure $0;
if (c[2]) { x $0; }
rz(-3.141592653589793) $1;
sx $1;
rz(1.5707963267948966) $1;
c[1] = measure $1;
c[3] = measure $1;
if (c[3]) { x $1; }
if (c[0] == 1 && c[1] == 1) { sx $2; }
if (c[1]) { rz(theta) $1; }
sx $0;
box {
    barrier $2, $0;
    c[1] = measure $2;
    c[0] = measure $0;
}
