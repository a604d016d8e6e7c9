//! What an uploaded picture goes through before anything is stored: its
//! type judged from its bytes, hostile files refused, decoded under limits,
//! turned upright, scaled, and encoded again from the pixels alone, so that
//! no metadata block (EXIF, GPS, XMP, comments) survives.

use std::io::Cursor;

use fast_image_resize as fr;
use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader, Limits};
use sha2::{Digest, Sha256};

use super::Format;

/// The widths made of every picture (those below its own width), besides
/// its own width.
pub const WIDTHS: [u32; 4] = [480, 960, 1600, 2560];
/// Originals wider or taller than this are scaled down to it.
pub const LARGEST_SIDE: u32 = 2560;
/// The most an upload may weigh.
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;
/// The widest or tallest picture decoded at all: beyond any camera's
/// 50 MP, far below a decompression bomb.
const MAX_DECODED_SIDE: u32 = 12_000;
/// The most pixels decoded: a 50-megapixel camera's, not a decompression
/// bomb's (a few kilobytes that unpack to gigabytes).
const MAX_PIXELS: u64 = 52_000_000;
/// The most memory a decoder may ask for.
const MAX_DECODER_ALLOCATION: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;
/// A photo's lossy WebP, on libwebp's scale of 100 (its own default is 75).
const WEBP_QUALITY: f32 = 80.0;
/// libwebp's effort, 0 (fastest) to 6 (smallest): 4 is its own default,
/// the balance of time and size.
const WEBP_METHOD: i32 = 4;

/// Why a file was not taken, said to the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// One size of a picture in one format, ready to be served.
#[derive(Debug, Clone)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// A picture made ready: its address key, the format it came in, its size
/// once upright and scaled, and its variants, largest first.
#[derive(Debug, Clone)]
pub struct Processed {
    pub hash: String,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// The address key of an upload: the start of the SHA-256 of its bytes.
pub fn hash_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
}

/// Makes every variant of the picture in `bytes`, or says why not, then
/// gives the memory that took back to the system.
pub fn process(bytes: &[u8]) -> Result<Processed, Refused> {
    let made = make(bytes);
    crate::memory::give_back();
    made
}

fn make(bytes: &[u8]) -> Result<Processed, Refused> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Refused(format!(
            "the file is {} MB; a picture may be at most {} MB",
            bytes.len() / (1024 * 1024),
            MAX_UPLOAD_BYTES / (1024 * 1024)
        )));
    }
    let format = sniff(bytes)?;
    refuse_markup(bytes)?;
    if format == Format::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Refused("the JPEG file is cut short (truncated): upload the whole file again".into()));
    }
    if format == Format::Gif && is_animated_gif(bytes)? {
        return Err(Refused(
            "this GIF is animated, and only its first frame could be kept: upload a still picture".into(),
        ));
    }
    let picture = decode(bytes, format)?;
    let (width, height) = fit(picture.width(), picture.height(), LARGEST_SIDE);
    let with_alpha = format != Format::Jpeg && picture.color().has_alpha();
    let (pixel_type, color) = if with_alpha {
        (fr::PixelType::U8x4, ExtendedColorType::Rgba8)
    } else {
        (fr::PixelType::U8x3, ExtendedColorType::Rgb8)
    };
    let (source_width, source_height) = (picture.width(), picture.height());
    let pixels = if with_alpha { picture.into_rgba8().into_raw() } else { picture.into_rgb8().into_raw() };
    let mut current = fr::images::Image::from_vec_u8(source_width, source_height, pixels, pixel_type)
        .map_err(|e| Refused(format!("the picture could not be read: {e}")))?;

    // Largest first, each size made from the one before: fewer pixels to read.
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|&w| w < width).collect();
    widths.push(width);
    widths.sort_unstable_by(|a, b| b.cmp(a));
    let served = served_format(format);
    let mut variants = Vec::with_capacity(widths.len() * 2);
    for target in widths {
        let target_height = if target == width { height } else { scaled_height(width, height, target) };
        if (current.width(), current.height()) != (target, target_height) {
            current = resize(&current, target, target_height)?;
        }
        let main = encode(served, current.buffer(), target, target_height, color)?;
        let main_size = main.len();
        variants.push(Variant { width: target, height: target_height, format: served, bytes: main });
        // A photo gets a lossy WebP; lossless WebP beats PNG on most
        // drawings and screenshots. Either is kept only where it is smaller.
        let webp = match served {
            Format::Webp => None,
            Format::Jpeg => Some(encode_lossy_webp(current.buffer(), target, target_height, color)?),
            Format::Png | Format::Gif => Some(encode(Format::Webp, current.buffer(), target, target_height, color)?),
        };
        if let Some(webp) = webp.filter(|webp| webp.len() < main_size) {
            variants.push(Variant { width: target, height: target_height, format: Format::Webp, bytes: webp });
        }
    }
    Ok(Processed { hash: hash_of(bytes), format, width, height, variants })
}

/// The format the sizes of a picture are served in: its own, but a GIF's
/// still picture as PNG (which keeps every colour a GIF has).
pub fn served_format(uploaded: Format) -> Format {
    match uploaded {
        Format::Gif => Format::Png,
        other => other,
    }
}

/// The type the bytes say they are, whatever the file's name or declared type.
fn sniff(bytes: &[u8]) -> Result<Format, Refused> {
    match image::guess_format(bytes) {
        Ok(image::ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(image::ImageFormat::Png) => Ok(Format::Png),
        Ok(image::ImageFormat::Gif) => Ok(Format::Gif),
        Ok(image::ImageFormat::WebP) => Ok(Format::Webp),
        _ => Err(Refused("this file is not a JPEG, PNG, WebP or GIF picture".into())),
    }
}

/// A file that is a picture and a web page at once (a polyglot) is refused:
/// served under another type, or saved and opened, its HTML would run.
fn refuse_markup(bytes: &[u8]) -> Result<(), Refused> {
    const MARKERS: [&[u8]; 7] = [b"<script", b"<html", b"<!doctype", b"<svg", b"<iframe", b"<body", b"<?php"];
    let found = bytes.iter().enumerate().filter(|(_, &b)| b == b'<').any(|(at, _)| {
        let rest = &bytes[at..];
        MARKERS.iter().any(|marker| rest.len() >= marker.len() && rest[..marker.len()].eq_ignore_ascii_case(marker))
    });
    if found {
        return Err(Refused(
            "this file holds web page code (HTML or script) besides the picture: save it again from a picture \
             editor or take a screenshot of it"
                .into(),
        ));
    }
    Ok(())
}

/// Whether a JPEG's picture data reaches its end marker: entropy-coded data
/// never holds the bytes FF D9, so their absence after the scan means the
/// file was cut.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(scan) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else { return false };
    bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOCATION);
    limits
}

fn is_animated_gif(bytes: &[u8]) -> Result<bool, Refused> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(unreadable)?;
    decoder.set_limits(limits()).map_err(unreadable)?;
    Ok(decoder.into_frames().take(2).filter(Result::is_ok).count() > 1)
}

/// Decodes under limits on width, height and memory, and turns the picture
/// the way the camera said it was held.
fn decode(bytes: &[u8], format: Format) -> Result<DynamicImage, Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refused(format!(
            "the picture is {width} × {height} pixels, more than the {} megapixels taken: scale it down first",
            MAX_PIXELS / 1_000_000
        )));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    if picture.width() == 0 || picture.height() == 0 {
        return Err(Refused("the picture has no pixels".into()));
    }
    Ok(picture)
}

fn unreadable(error: image::ImageError) -> Refused {
    match error {
        image::ImageError::Limits(_) => Refused(format!(
            "the picture is too large to open safely: at most {MAX_DECODED_SIDE} × {MAX_DECODED_SIDE} pixels are \
             taken. Scale it down first"
        )),
        image::ImageError::Unsupported(e) => Refused(format!("this kind of picture is not supported: {e}")),
        other => Refused(format!("the picture is damaged or incomplete and could not be read ({other})")),
    }
}

/// `width` × `height` scaled to fit within `largest` on both sides.
fn fit(width: u32, height: u32, largest: u32) -> (u32, u32) {
    if width <= largest && height <= largest {
        return (width, height);
    }
    if width >= height {
        (largest, scaled_height(width, height, largest))
    } else {
        let scaled = (u64::from(width) * u64::from(largest) + u64::from(height) / 2) / u64::from(height);
        (u32::try_from(scaled).unwrap_or(largest).max(1), largest)
    }
}

/// The height of a `width` × `height` picture scaled to `target` wide.
pub fn scaled_height(width: u32, height: u32, target: u32) -> u32 {
    let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width.max(1));
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

fn resize(source: &fr::images::Image<'_>, width: u32, height: u32) -> Result<fr::images::Image<'static>, Refused> {
    let mut target = fr::images::Image::new(width, height, source.pixel_type());
    let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(source, &mut target, &options)
        .map_err(|e| Refused(format!("the picture could not be scaled: {e}")))?;
    Ok(target)
}

fn encode(
    format: Format,
    pixels: &[u8],
    width: u32,
    height: u32,
    color: ExtendedColorType,
) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    let result = match format {
        Format::Jpeg => JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(pixels, width, height, color),
        Format::Png | Format::Gif => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
                .write_image(pixels, width, height, color)
        }
        Format::Webp => WebPEncoder::new_lossless(&mut out).write_image(pixels, width, height, color),
    };
    result.map_err(|e| Refused(format!("the picture could not be saved as {}: {e}", format.ext())))?;
    Ok(out)
}

/// A photo as lossy WebP, through libwebp; its simple encoding writes no
/// metadata.
fn encode_lossy_webp(pixels: &[u8], width: u32, height: u32, color: ExtendedColorType) -> Result<Vec<u8>, Refused> {
    let failed = |why: String| Refused(format!("the picture could not be saved as webp: {why}"));
    let expected = u64::from(width) * u64::from(height) * u64::from(color.bits_per_pixel() / 8);
    if width == 0 || height == 0 || u64::try_from(pixels.len()).ok() != Some(expected) {
        return Err(failed(format!("{} bytes of pixels for {width} × {height}", pixels.len())));
    }
    let encoder = match color {
        ExtendedColorType::Rgba8 => webp::Encoder::from_rgba(pixels, width, height),
        _ => webp::Encoder::from_rgb(pixels, width, height),
    };
    let mut config = webp::WebPConfig::new().map_err(|()| failed("libwebp could not be set up".into()))?;
    config.quality = WEBP_QUALITY;
    config.method = WEBP_METHOD;
    let encoded = encoder.encode_advanced(&config).map_err(|e| failed(format!("{e:?}")))?;
    Ok(encoded.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_pictures_fit_the_largest_side() {
        assert_eq!(fit(4000, 3000, 2560), (2560, 1920));
        assert_eq!(fit(3000, 4000, 2560), (1920, 2560));
        assert_eq!(fit(800, 600, 2560), (800, 600));
    }

    /// A JPEG of smooth gradients with a little grain, as a photo has.
    fn photo_like_jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            let grain = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 9) as u8;
            image::Rgb([(x * 240 / width) as u8 + grain, (y * 200 / height) as u8 + grain, 90 + grain])
        });
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 90)
            .write_image(picture.as_raw(), width, height, ExtendedColorType::Rgb8)
            .expect("a JPEG");
        bytes
    }

    #[test]
    fn a_photo_gets_a_lossy_webp_smaller_than_its_jpeg_at_every_width() {
        let processed = process(&photo_like_jpeg(1200, 800)).expect("processed");
        for width in [1200, 960, 480] {
            let of = |format| processed.variants.iter().find(|v| v.width == width && v.format == format);
            let jpeg = of(Format::Jpeg).expect("a JPEG size");
            let webp = of(Format::Webp).expect("a WebP size");
            assert!(webp.bytes.len() < jpeg.bytes.len(), "{width}: {} ≥ {}", webp.bytes.len(), jpeg.bytes.len());
            let decoded = image::load_from_memory_with_format(&webp.bytes, image::ImageFormat::WebP).expect("WebP");
            assert_eq!((decoded.width(), decoded.height(), webp.height), (width, width * 2 / 3, width * 2 / 3));
            assert!(!webp.bytes.windows(4).any(|w| w == b"VP8L"), "lossy, not lossless");
        }
    }

    #[test]
    fn markup_inside_a_picture_is_refused() {
        let mut bytes = b"GIF89a".to_vec();
        bytes.extend_from_slice(b"\x01\x00\x01\x00<SCRIPT>alert(1)</script>");
        assert!(refuse_markup(&bytes).is_err());
        assert!(refuse_markup(b"GIF89a plain bytes here").is_ok());
    }
}
