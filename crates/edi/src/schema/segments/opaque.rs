//! Segments known by id only: the sets place them, but their elements are not checked.

use crate::schema::types::SegmentDef;

macro_rules! opaque {
    ($($id:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($id), "`, checked for its place in a set only.")]
            pub const $id: SegmentDef = SegmentDef::opaque(stringify!($id));
        )*
    };
}

opaque!(
    ADV, BAL, BNX, CLD, CN1, CRC, CSH, CTB, DIS, DMG, DTP, ETD, FA1, FA2, G43, G66, G72, GF, INC, IT3, IT8, L7, LDT,
    LE, LEP, LFH, LH1, LH2, LH3, LH4, LH6, LHE, LHR, LHT, LM, LQ, LS, MEA, MTX, NX2, PAL, PAM, PCT, PKG, PO3, PWK, R2,
    R4, SDQ, SI, SPI, SR, TAX, TC2, TD4, TSD, UIT, V1, W09, W10, W20, W28, W6, YNQ, CS, DD, G53,
);
