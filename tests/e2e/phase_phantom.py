"""A phase-contrast scan written with numpy and h5py alone, independently of
h5io: spheres of one material (delta/beta = r) inside a wide cylinder of the
same material that the detector cuts off (truncation), rotated about a
vertical axis at column cols/2, each projection's exit wave propagated over
the sample-to-detector distance by the Fresnel propagator, then measured
with a non-uniform flat field, a dark level and Poisson noise (uint16). It
is written in the DXchange layout (/exchange/data, data_dark, data_white,
theta in degrees), as TomoPy's users write scans."""
import h5py
import numpy as np

# The beamline: 25 keV, 0.5 m, 3 um pixels, and the material's delta.
ENERGY_KEV = 25.0
DISTANCE_M = 0.5
PIXEL_M = 3e-6
DELTA = 3e-7
DELTA_OVER_BETA = 250.0


def wavelength_m(energy_kev=ENERGY_KEV):
    return 12.398e-10 / energy_kev


def attenuation_per_pixel():
    """mu * pixel of the material: mu = 4 pi beta / lambda."""
    beta = DELTA / DELTA_OVER_BETA
    return 4 * np.pi * beta / wavelength_m() * PIXEL_M


SPHERES = [  # x, y (pixels from the axis), row, radius (pixels)
    (0.0, 0.0, 32.0, 16.0),
    (38.0, -12.0, 24.0, 12.0),
    (-30.0, 35.0, 40.0, 14.0),
    (20.0, 44.0, 30.0, 10.0),
]
CYLINDER = (0.0, 0.0, 110.0)  # x, y, radius: wider than the field of 160 columns
CYLINDER_SCALE = 0.15  # its walls are thin: a tenth-ish of a solid one


def thickness(theta, rows, cols, center):
    """Projected thickness (pixels) of the object at angle theta on a grid of
    rows x cols detector pixels whose axis is at column `center`."""
    u = np.arange(cols) - center
    v = np.arange(rows)[:, None]
    t = np.zeros((rows, cols))
    for x, y, z, radius in SPHERES:
        s = x * np.cos(theta) + y * np.sin(theta)
        d2 = (u[None, :] - s) ** 2 + (v - z) ** 2
        t += 2 * np.sqrt(np.clip(radius ** 2 - d2, 0, None))
    _, _, radius = CYLINDER
    chord = 2 * np.sqrt(np.clip(radius ** 2 - u ** 2, 0, None))
    t += CYLINDER_SCALE * chord[None, :]
    return t


def truth_slices(rows, cols):
    """mu * pixel on the reconstruction grid [rows, cols, cols] (y down,
    x right, centre cols // 2), for comparisons; the cylinder's is scaled."""
    c = cols // 2
    yy, xx = np.mgrid[:cols, :cols]
    x, y = xx - c, c - yy  # tomo_fbp's and iradon's orientation is checked by correlation
    mu = attenuation_per_pixel()
    volume = np.zeros((rows, cols, cols))
    for r in range(rows):
        for sx, sy, z, radius in SPHERES:
            rr2 = radius ** 2 - (r - z) ** 2
            if rr2 > 0:
                volume[r][(x - sx) ** 2 + (y - sy) ** 2 <= rr2] = mu
        volume[r][x ** 2 + y ** 2 <= CYLINDER[2] ** 2] += mu * CYLINDER_SCALE
    return volume


def propagate(wave, pixel_m, distance_m, wavelength):
    """Fresnel propagation of a sampled wave by the transfer function."""
    fy = np.fft.fftfreq(wave.shape[0], d=pixel_m)[:, None]
    fx = np.fft.fftfreq(wave.shape[1], d=pixel_m)[None, :]
    kernel = np.exp(-1j * np.pi * wavelength * distance_m * (fx ** 2 + fy ** 2))
    return np.fft.ifft2(np.fft.fft2(wave) * kernel)


def intensity(theta, rows, cols):
    """Propagated intensity (flat = 1) on the detector, computed on a field
    three times wider and taller so the detector's edges see the object
    beyond them as it is."""
    lam = wavelength_m()
    big_rows, big_cols = 3 * rows, 3 * cols
    t_m = thickness(theta, big_rows, big_cols, big_cols / 2) * PIXEL_M
    # The spheres' rows are detector rows; shift them into the middle third.
    t_m = np.roll(t_m, rows, axis=0)
    beta = DELTA / DELTA_OVER_BETA
    wave = np.exp(-2 * np.pi / lam * (beta + 1j * DELTA) * t_m)
    field = propagate(wave, PIXEL_M, DISTANCE_M, lam)
    return np.abs(field[rows:2 * rows, cols:2 * cols]) ** 2


def write_scan(path, rows=64, cols=160, angles=180, flat_level=10000.0, seed=7):
    rng = np.random.default_rng(seed)
    theta = np.arange(angles) * np.pi / angles
    u = np.arange(cols)
    flat = flat_level * (1 + 0.1 * np.sin(u / 17.0))[None, :] * np.ones((rows, 1))
    dark = 100.0
    frames = np.stack([intensity(t, rows, cols) for t in theta]) * flat + dark
    projections = rng.poisson(frames).astype(np.uint16)
    flats = rng.poisson(np.broadcast_to(flat + dark, (10, rows, cols))).astype(np.uint16)
    darks = rng.poisson(np.full((5, rows, cols), dark)).astype(np.uint16)
    with h5py.File(path, "w") as f:
        f["/exchange/data"] = projections
        f["/exchange/data_white"] = flats
        f["/exchange/data_dark"] = darks
        f["/exchange/theta"] = np.rad2deg(theta)
        f["/exchange/theta"].attrs["units"] = "degree"
    return theta
