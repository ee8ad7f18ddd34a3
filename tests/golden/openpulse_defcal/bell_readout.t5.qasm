OPENQASM 3.0;
defcalgrammar "openpulse";
// qdl.pulse_schedule 0.1, device qdl-fake-t5, dt = 2.2222222222e-10 s
// phase convention axis=+phase: a frame phase turns the drive axis by +phase; rz(theta) is shift_phase(frame, -theta)
// gate level: the defcals the circuit uses, then the circuit on physical qubits; its calls placed ALAP on the frames of each defcal give the flat schedule
@qdl {"trainable": true}
input angle[32] theta;
@qdl {"elements": {"w[1]": {"trainable": true}}}
input array[angle[32], 2] w;
bit[2] c;
@qdl {"format": "qdl.pulse_schedule", "version": "0.1", "device": {"name": "qdl-fake-t5", "dt": 2.2222222222e-10, "timing": {"granularity": 16, "min_length": 64, "pulse_alignment": 16, "acquire_alignment": 16}}, "time_unit": "dt", "phase_convention": "axis=+phase", "final_frame_phases": {"q0_drive": {"op": "sub", "args": [{"op": "neg", "args": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, 4.681822980384689]}, "q1_drive": {"op": "neg", "args": [{"op": "add", "args": [{"op": "add", "args": [{"op": "mul", "args": [2.0, {"param": "w[1]"}]}, {"param": "theta"}]}, -1.5707963267948966]}]}, "cr1_0": {"op": "sub", "args": [{"op": "neg", "args": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, 4.681822980384689]}}, "source": {"circuit": "bell", "qubits": [0, 1], "gates": [{"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [0], "params": [{"op": "add", "args": [{"param": "theta"}, 3.141592653589793]}]}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [1], "params": [{"op": "add", "args": [{"op": "add", "args": [{"op": "mul", "args": [2.0, {"param": "w[1]"}]}, {"param": "theta"}]}, -1.5707963267948966]}]}, {"name": "sx", "qubits": [1], "params": []}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [1], "params": [1.5707963267948966]}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "ecr", "qubits": [1, 0], "params": []}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "sx", "qubits": [0], "params": []}, {"name": "rz", "qubits": [1], "params": [-3.141592653589793]}, {"name": "sx", "qubits": [1], "params": []}, {"name": "rz", "qubits": [0], "params": [1.5707963267948966]}, {"name": "rz", "qubits": [1], "params": [1.5707963267948966]}], "measurements": [{"qubit": 0, "bit": 0, "position": 15}, {"qubit": 1, "bit": 1, "position": 15}], "layout": {"initial": [0, 1], "final": [0, 1], "swaps": 0}}}
cal {
    @qdl {"kind": "drive", "qubits": [0]}
    port d0;
    @qdl {"kind": "drive", "qubits": [1]}
    port d1;
    @qdl {"kind": "measure", "qubits": [0]}
    port m0;
    @qdl {"kind": "acquire", "qubits": [0]}
    port a0;
    @qdl {"kind": "measure", "qubits": [1]}
    port m1;
    @qdl {"kind": "acquire", "qubits": [1]}
    port a1;
    extern constant(complex[float[64]], duration) -> waveform;  // (amp, duration)
    extern drag(complex[float[64]], duration, duration, float[64]) -> waveform;  // (amp, duration, sigma, beta)
    extern gaussian_square(complex[float[64]], duration, duration, duration) -> waveform;  // (amp, duration, width, sigma)
    extern capture_v2(frame, waveform) -> bit;  // (frame, integration kernel)
    @qdl {"tracks_qubit": 0}
    frame q0_drive = newframe(d0, 5090200000.0, 0.0);
    @qdl {"tracks_qubit": 1}
    frame q1_drive = newframe(d1, 5245300000.0, 0.0);
    @qdl {"tracks_qubit": 0}
    frame cr1_0 = newframe(d1, 5090200000.0, 0.0);
    frame m0_frame = newframe(m0, 7301700000.0, 0.0);
    frame a0_frame = newframe(a0, 7301700000.0, 0.0);
    frame m1_frame = newframe(m1, 7393400000.0, 0.0);
    frame a1_frame = newframe(a1, 7393400000.0, 0.0);
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

sx $0;
rz(theta + 3.141592653589793) $0;
sx $0;
rz(2.0 * w[1] + theta + -1.5707963267948966) $1;
sx $1;
sx $0;
rz(1.5707963267948966) $1;
rz(1.5707963267948966) $0;
ecr $1, $0;
rz(1.5707963267948966) $0;
sx $0;
rz(-3.141592653589793) $1;
sx $1;
rz(1.5707963267948966) $0;
rz(1.5707963267948966) $1;
barrier $0, $1;
box {
    barrier $0, $1;
    c[0] = measure $0;
    c[1] = measure $1;
}
