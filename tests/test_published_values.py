"""Published expected values: the small RNN, LSTM, convolution and max-pool steps of a
well-known course's exercises (Stanford CS231n assignments 2 and 3).

The inputs are the exercises' ``np.linspace`` set-ups; the expected arrays are the values
the exercises publish. The course stores weights as (in, out) and stacks the LSTM gates
i, f, o, g; minidl stores (out, in) and stacks i, f, g, o, as PyTorch — the tests convert.
"""
import numpy as np

import minidl as md
import minidl.functional as F


def t(a):
    return md.tensor(np.asarray(a, dtype=np.float64))


def test_rnn_step_forward():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    h_t, o_t = F.rnn_step(t(x), t(prev_h), t(Wx.T), t(Wh.T), t(b))
    expected = np.array([
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    np.testing.assert_allclose(h_t.numpy(), expected, atol=1e-8)
    assert o_t is None


def test_lstm_step_forward():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    # the course's gate blocks are i, f, o, g; PyTorch's (and minidl's) are i, f, g, o
    blocks = np.arange(4 * H).reshape(4, H)
    order = blocks[[0, 1, 3, 2]].ravel()
    h, c = F.lstm_cell(t(x), (t(prev_h), t(prev_c)), t(Wx[:, order].T), t(Wh[:, order].T),
                       t(b[order]))
    expected_h = np.array([
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_c = np.array([
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    np.testing.assert_allclose(h.numpy(), expected_h, atol=1e-8)
    np.testing.assert_allclose(c.numpy(), expected_c, atol=1e-8)


def test_conv_forward():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out = F.conv2d(t(x), t(w), t(b), stride=2, padding=1)
    expected = np.array([
        [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
         [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
         [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
        [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
         [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
         [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-8)


def test_max_pool_forward():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out = F.max_pool2d(t(x), kernel_size=2, stride=2)
    expected = np.array([
        [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
         [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
         [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
        [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
         [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
         [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-8)
